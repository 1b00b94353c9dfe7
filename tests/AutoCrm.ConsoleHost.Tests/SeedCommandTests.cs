using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tickets;
using Npgsql;

namespace AutoCrm.ConsoleHost.Tests;

public sealed class SeedCommandTests(DevStackFixture stack)
{
    [Fact]
    public async Task Seed_loads_a_generated_data_set_that_its_users_can_sign_in_to_and_refuses_to_load_it_twice()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var target = await StartDevStackOnNewDatabaseAsync(ct);
        var cli = stack.Cli(configured: false);

        var result = (await cli.RunAsync("seed", "--tickets", "300", "--queues", "4", "--db-url", target.DatabaseUrl, "--json")).Succeeded().Json;
        Assert.Equal(300, result.GetProperty("tickets").GetInt64());
        Assert.InRange(result.GetProperty("messages").GetInt64(), 600, 1500);
        Assert.True(result.GetProperty("events").GetInt64() >= 300);
        Assert.Equal(4, result.GetProperty("queues").GetInt64());
        Assert.Equal(20 + 6 + 2, result.GetProperty("users").GetInt64());

        // The generated users sign in with the printed password; row-level security shows each their share.
        var password = result.GetProperty("password").GetString()!;
        using var customer = await SignInAsync(target, result.GetProperty("customer").GetString()!, password, ct);
        var me = (await customer.Auth.GetUserAsync(ct)).Id;
        var mine = await FirstPageAsync(customer, ct);
        Assert.NotEmpty(mine);
        Assert.All(mine, t => Assert.Equal(me, t.RequesterId));

        using var agent = await SignInAsync(target, result.GetProperty("agent").GetString()!, password, ct);
        Assert.NotEmpty(await FirstPageAsync(agent, ct));
        Assert.NotEmpty(await agent.Queues.GetStatsAsync(ct));

        var again = await cli.RunAsync("seed", "--tickets", "300", "--queues", "4", "--db-url", target.DatabaseUrl);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds generated data", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_rejects_impossible_sizes()
    {
        var cli = stack.Cli(configured: false);
        Assert.Equal(2, (await cli.RunAsync("seed", "--tickets", "-1")).ExitCode);
        Assert.Equal(2, (await cli.RunAsync("seed", "--queues", "0")).ExitCode);
    }

    private async Task<DevStackServer> StartDevStackOnNewDatabaseAsync(CancellationToken ct)
    {
        var name = "seed_" + Guid.NewGuid().ToString("N")[..12];
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString(stack.Server.DatabaseUrl));
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"create database \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }

        admin.Database = name;
        return await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = admin.ConnectionString, Seed = false, EnforceAuthRateLimits = false }, ct);
    }

    private static string ConnectionString(string url)
    {
        var uri = new Uri(url);
        var user = uri.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port,
            Database = uri.AbsolutePath.TrimStart('/'),
            Username = Uri.UnescapeDataString(user[0]),
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
        }.ConnectionString;
    }

    private static async Task<CrmClient> SignInAsync(DevStackServer server, string email, string password, CancellationToken ct)
    {
        var client = new CrmClient(new CrmClientOptions { Url = server.Url, ApiKey = server.AnonKey, SessionStore = new InMemorySessionStore() });
        await client.Auth.SignInWithPasswordAsync(email, password, ct);
        return client;
    }

    private static async Task<IReadOnlyList<Ticket>> FirstPageAsync(CrmClient client, CancellationToken ct)
    {
        await foreach (var page in client.Tickets.ListAsync(new TicketQuery { PageSize = 50, Descending = true }).AsPages().WithCancellation(ct))
        {
            return page.Items;
        }

        return [];
    }
}
