using System.Net;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Auth;
using AutoCrm.DevStack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCrm.DevStack.Tests.Auth;

/// <summary>
/// An attacker guessing passwords or probing which emails are registered. Neither the answer nor the work the server
/// does differs between a registered and an unknown email (counted, not timed), and a DevStack started with its
/// defaults rate-limits sign-ins.
/// </summary>
[Collection(AuthCollection.Name)]
public sealed class AuthBruteForceTests(AuthStackFixture stack, SharedCluster shared)
{
    [Fact]
    public async Task An_unknown_email_costs_the_same_bcrypt_check_and_gets_the_same_answer_as_a_wrong_password()
    {
        var registered = AuthStackFixture.UniqueEmail("known");
        await stack.SignUpAsync(registered);
        var invited = AuthStackFixture.UniqueEmail("invited");
        using (var created = await stack.SendAsync(HttpMethod.Post, "/auth/v1/admin/users", new JsonObject { ["email"] = invited, ["email_confirm"] = true }, bearer: stack.Server.ServiceRoleKey, apiKey: stack.Server.ServiceRoleKey))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var auth = stack.Server.Services.GetRequiredService<AuthService>();
        var answers = new List<string>();
        foreach (var email in new[] { registered, AuthStackFixture.UniqueEmail("unknown"), invited })
        {
            var before = auth.PasswordChecks;
            using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = email, ["password"] = "a-wrong-guess" });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            answers.Add((await AuthStackFixture.ReadObjectAsync(response)).ToJsonString());
            Assert.Equal(before + 1, auth.PasswordChecks);
        }

        Assert.Single(answers.Distinct());
        Assert.Equal("""{"code":400,"error_code":"invalid_credentials","msg":"Invalid login credentials"}""", answers[0]);
    }

    [Fact]
    public async Task A_default_devstack_answers_a_burst_of_wrong_passwords_with_429()
    {
        var db = await shared.CreateDatabaseAsync("bruteforce", TestContext.Current.CancellationToken);
        await using var server = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = db }, TestContext.Current.CancellationToken);
        var guesses = Enumerable.Range(0, 60).Select(i => AuthStackFixture.SendToAsync(
            server,
            HttpMethod.Post,
            "/auth/v1/token?grant_type=password",
            new JsonObject { ["email"] = "carol@customer.demo", ["password"] = "guess-" + i }));
        var codes = new List<string>();
        foreach (var response in await Task.WhenAll(guesses))
        {
            using (response)
            {
                codes.Add((string)(await AuthStackFixture.ReadObjectAsync(response))["code"]!);
            }
        }

        // The bucket holds 30 and refills at 150 per 5 minutes: 60 guesses at once cannot all be answered.
        Assert.All(codes, code => Assert.Contains(code, new[] { "invalid_credentials", "over_request_rate_limit" }));
        Assert.Contains("over_request_rate_limit", codes);
        Assert.InRange(codes.Count(c => c == "invalid_credentials"), 30, 59);
    }
}
