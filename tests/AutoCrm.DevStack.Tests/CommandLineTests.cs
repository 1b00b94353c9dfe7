using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.DevStack.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void No_arguments_give_the_cli_defaults()
    {
        Assert.True(CommandLine.TryParse([], out var command, out var error));
        Assert.Null(error);
        Assert.Equal(54321, command.Port);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, ".autocrm", "devstack"), command.DataDirectory);
        Assert.True(command.Seed);
        Assert.False(command.Reset);
        Assert.Null(command.DatabaseUrl);
        Assert.True(command.AuthRateLimits);
        Assert.False(command.DemoKeys);
        Assert.Null(command.CorsOrigins);
    }

    [Fact]
    public void Every_option_is_parsed_in_both_spellings()
    {
        Assert.True(CommandLine.TryParse(["--port", "0", "--data-dir=/tmp/x", "--db-url", "postgresql://u:p@h:1/d", "--no-seed", "--reset", "--auth-rate-limits"], out var command, out _));
        Assert.Equal(0, command.Port);
        Assert.Equal("/tmp/x", command.DataDirectory);
        Assert.Equal("postgresql://u:p@h:1/d", command.DatabaseUrl);
        Assert.False(command.Seed);
        Assert.True(command.Reset);
        Assert.True(command.AuthRateLimits);

        Assert.True(CommandLine.TryParse(["--no-auth-rate-limits", "--demo-keys", "--cors-origins", "https://app.example.com, http://localhost:*"], out command, out _));
        Assert.False(command.AuthRateLimits);
        Assert.True(command.DemoKeys);
        Assert.Equal(["https://app.example.com", "http://localhost:*"], command.CorsOrigins);
    }

    [Fact]
    public void Exposed_schemas_and_another_project_folder_are_options()
    {
        var dir = Directory.CreateTempSubdirectory("autocrm-cli-");
        try
        {
            Assert.True(CommandLine.TryParse(["--schemas", " public, personal ,public", "--supabase-dir=" + dir.FullName, "--no-apikey-check"], out var command, out _));
            Assert.Equal(["public", "personal"], command.Schemas);
            Assert.Equal(dir.FullName, command.SupabaseDirectory);
            Assert.True(command.NoApiKeyCheck);
        }
        finally
        {
            dir.Delete();
        }
    }

    [Theory]
    [InlineData("--schemas", "")]
    [InlineData("--schemas", "public,,personal")]
    [InlineData("--schemas", "public,pg_catalog")]
    [InlineData("--supabase-dir", "/no/such/directory")]
    [InlineData("--no-apikey-check=yes")]
    [InlineData("--port")]
    [InlineData("--port", "abc")]
    [InlineData("--port", "70000")]
    [InlineData("--port", "-1")]
    [InlineData("--data-dir")]
    [InlineData("--db-url", "")]
    [InlineData("--frobnicate")]
    [InlineData("--reset=yes")]
    [InlineData("--auth-rate-limits=no")]
    [InlineData("--no-auth-rate-limits=yes")]
    [InlineData("--demo-keys=yes")]
    [InlineData("--cors-origins")]
    [InlineData("--cors-origins", " , ")]
    public void Bad_arguments_are_refused_with_a_message(params string[] args)
    {
        Assert.False(CommandLine.TryParse(args, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Help_is_not_an_error()
    {
        Assert.False(CommandLine.TryParse(["--help"], out _, out var error));
        Assert.Null(error);
        Assert.Contains("--db-url", CommandLine.Usage, StringComparison.Ordinal);
    }
}

/// <summary>The DevStack executable as a user runs it: started as a real process, stopped by a signal.</summary>
public sealed class CommandLineProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_stops_the_server_and_its_postgres_with_exit_code_0(string signal)
    {
        using var data = new TempDirectory();
        using var server = ServerProcess.Start(
            Path.Combine(AppContext.BaseDirectory, "AutoCrm.DevStack"),
            ["--port", "0", "--data-dir", data.Path, "--no-seed"]);

        var serviceRoleKey = (await server.WaitForLineAsync(line => line.StartsWith("service_role key: ", StringComparison.Ordinal), StartTimeout))["service_role key: ".Length..];
        var anonKey = (await server.WaitForLineAsync(line => line.StartsWith("anon key: ", StringComparison.Ordinal), StartTimeout))["anon key: ".Length..];
        Assert.NotEqual(DevStackDefaults.ServiceRoleKey, serviceRoleKey); // the data directory's own secret, not the demo one
        var apiPort = new Uri((await server.WaitForLineAsync(l => l.StartsWith("API URL: ", StringComparison.Ordinal), StartTimeout))["API URL: ".Length..]).Port;
        var dbPort = new Uri((await server.WaitForLineAsync(l => l.StartsWith("DB URL: ", StringComparison.Ordinal), StartTimeout))["DB URL: ".Length..]).Port;
        var pidFile = Path.Combine(data.Path, "pgdata", "postmaster.pid");
        var postmaster = int.Parse(File.ReadLines(pidFile).First(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ServerProcess.Alive(postmaster));
        Assert.True(ServerProcess.Listening(apiPort));
        Assert.True(ServerProcess.Listening(dbPort));

        // Shut down with clients attached: pooled REST connections and an open Realtime socket.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/rest/v1/queues?select=slug");
        request.Headers.Add("apikey", serviceRoleKey);
        using (var response = await http.SendAsync(request, TestContext.Current.CancellationToken))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(
            new Uri($"ws://127.0.0.1:{apiPort}/realtime/v1/websocket?apikey={anonKey}&vsn=1.0.0"),
            TestContext.Current.CancellationToken);

        server.Signal(signal);
        var exitCode = await server.WaitForExitAsync(StopTimeout);

        Assert.Equal(0, exitCode);
        Assert.Contains("Stopping…", server.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(pidFile), "postmaster.pid is left behind: PostgreSQL did not shut down");
        Assert.False(ServerProcess.Alive(postmaster), $"the postmaster ({postmaster}) is still running");
        Assert.False(ServerProcess.Listening(dbPort));
        Assert.False(ServerProcess.Listening(apiPort));
    }
}
