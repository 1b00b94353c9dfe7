namespace AutoCrm.ConsoleHost.Tests;

public sealed class AuthCommandTests(DevStackFixture stack)
{
    [Fact]
    public async Task Login_keeps_the_session_for_later_commands_in_an_owner_only_file()
    {
        var cli = stack.Cli();
        var login = await cli.LoginAsync("agent.alice@autocrm.demo");
        Assert.Contains("Signed in as agent.alice@autocrm.demo", login.Text, StringComparison.Ordinal);

        var whoami = (await cli.RunAsync("whoami", "--json")).Succeeded().Json;
        Assert.Equal("agent.alice@autocrm.demo", whoami.GetProperty("email").GetString());
        Assert.Equal("agent", whoami.GetProperty("role").GetString());
        Assert.Equal("AUTOCRM_URL", whoami.GetProperty("source").GetString());

        var file = Directory.GetFiles(Path.Combine(cli.Home, "sessions")).Single();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Fact]
    public async Task Whoami_prints_a_table_on_the_terminal_path()
    {
        var cli = stack.Cli();
        await cli.LoginAsync("carol@customer.demo");
        var whoami = (await cli.RunAsync("whoami")).Succeeded();
        Assert.Contains("carol@customer.demo", whoami.Text, StringComparison.Ordinal);
        Assert.Contains("customer", whoami.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logout_forgets_the_session()
    {
        var cli = stack.Cli();
        await cli.LoginAsync("agent.bob@autocrm.demo");
        (await cli.RunAsync("logout")).Succeeded();
        var whoami = await cli.RunAsync("whoami");
        Assert.Equal(4, whoami.ExitCode);
        Assert.Contains("not signed in", whoami.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_exits_not_authorised_with_one_error_line()
    {
        var result = await stack.Cli().RunAsync("login", "--email", "carol@customer.demo", "--password", "wrong-password");
        Assert.Equal(4, result.ExitCode);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Whoami_with_the_service_key_reports_the_service_role()
    {
        var whoami = (await stack.Cli().RunAsServiceAsync("whoami", "--json")).Succeeded().Json;
        Assert.Equal("service_role", whoami.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Unknown_commands_and_options_exit_with_usage_error()
    {
        var cli = stack.Cli();
        Assert.Equal(2, (await cli.RunAsync("frobnicate")).ExitCode);
        Assert.Equal(2, (await cli.RunAsync("tickets", "list", "--no-such-option")).ExitCode);
    }

    [Fact]
    public async Task A_url_without_a_key_is_a_usage_error()
    {
        var result = await new Cli(null).RunAsync("queue", "list", "--url", "http://127.0.0.1:1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no API key", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_exits_unavailable_without_a_stack_trace()
    {
        var result = await new Cli(null).RunAsync("queue", "list", "--url", "http://127.0.0.1:1", "--key", "anything");
        Assert.Equal(6, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }
}
