using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AutoCrm.DevStack;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary><c>autocrm devstack --demo-keys --no-auth-rate-limits</c>: the Supabase CLI's fixed keys, and no sign-in limit
/// (a default DevStack answers a burst of more than 30 sign-ins from one address with 429; see AuthBruteForceTests).</summary>
public sealed class DevStackCommandOptionsTests
{
    [Fact]
    public async Task Demo_keys_and_no_auth_rate_limits_give_the_CLI_keys_and_let_a_burst_of_sign_ins_through()
    {
        var ct = TestContext.Current.CancellationToken;
        var output = new SignalWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = new Cli(null).RunAsync(
            output, new SignalWriter(), stop.Token, "devstack", "--port", "0", "--throwaway", "--json", "--demo-keys", "--no-auth-rate-limits");
        await output.WaitForAsync(o => o.Contains('\n', StringComparison.Ordinal), TimeSpan.FromMinutes(3));
        var info = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal(DevStackDefaults.AnonKey, info.GetProperty("anon_key").GetString());
        Assert.Equal(DevStackDefaults.ServiceRoleKey, info.GetProperty("service_role_key").GetString());

        using var http = new HttpClient { BaseAddress = new Uri(info.GetProperty("url").GetString()!) };
        var guesses = Enumerable.Range(0, 45).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token?grant_type=password")
            {
                Content = JsonContent.Create(new { email = "carol@customer.demo", password = "guess-" + i }),
            };
            request.Headers.Add("apikey", DevStackDefaults.AnonKey);
            using var response = await http.SendAsync(request, ct);
            return response.StatusCode;
        });
        var codes = await Task.WhenAll(guesses);
        Assert.All(codes, code => Assert.Equal(HttpStatusCode.BadRequest, code));

        await stop.CancelAsync();
        Assert.Equal(0, (await running).ExitCode);
    }
}
