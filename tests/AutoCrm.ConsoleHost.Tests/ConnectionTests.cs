using System.Text.Json;

namespace AutoCrm.ConsoleHost.Tests;

public sealed class ConnectionTests(DevStackFixture stack)
{
    [Fact]
    public async Task Login_with_url_saves_a_profile_that_later_commands_use()
    {
        var cli = new Cli(null);
        (await cli.RunAsync("login", "--url", stack.Server.Url.ToString(), "--key", stack.Server.AnonKey, "--email", "dave@customer.demo", "--password", "autocrm-demo")).Succeeded();
        Assert.True(File.Exists(Path.Combine(cli.Home, "profile.json")));

        var whoami = (await cli.RunAsync("whoami", "--json")).Succeeded().Json;
        Assert.Equal("profile", whoami.GetProperty("source").GetString());
        Assert.Equal("dave@customer.demo", whoami.GetProperty("email").GetString());
    }

    [Fact]
    public async Task With_nothing_configured_commands_start_an_embedded_devstack_and_devstack_serves_the_others()
    {
        var cli = new Cli(null);

        // A fresh machine: the first command creates ~/.autocrm/devstack (seeded) and works.
        (await cli.RunAsync("login", "--email", "agent.alice@autocrm.demo", "--password", "autocrm-demo")).Succeeded();
        var embedded = (await cli.RunAsync("whoami", "--json")).Succeeded().Json;
        Assert.Equal("embedded", embedded.GetProperty("source").GetString());
        Assert.Equal("agent", embedded.GetProperty("role").GetString());

        // `autocrm devstack` runs in the foreground; other commands find it instead of starting their own.
        var output = new SignalWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = cli.RunAsync(output, new SignalWriter(), stop.Token, "devstack", "--port", "0", "--json");
        await output.WaitForAsync(o => o.Contains('\n', StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var info = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.StartsWith("http://127.0.0.1:", info.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(cli.Home, "devstack.json")));

        var whoami = (await cli.RunAsync("whoami", "--json")).Succeeded().Json;
        Assert.Equal("devstack", whoami.GetProperty("source").GetString());
        Assert.Equal("agent.alice@autocrm.demo", whoami.GetProperty("email").GetString());
        var queues = (await cli.RunAsync("queue", "list", "--json")).Succeeded().Json;
        Assert.Contains(queues.EnumerateArray(), q => q.GetProperty("slug").GetString() == "general");

        await stop.CancelAsync();
        Assert.Equal(0, (await running).ExitCode);
        Assert.False(File.Exists(Path.Combine(cli.Home, "devstack.json")));
    }
}
