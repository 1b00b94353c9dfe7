using System.Globalization;
using System.Text.Json;
using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary><c>autocrm devstack</c> as a user runs it: the real executable, stopped by a signal.</summary>
public sealed class DevStackProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("TERM", false)]
    [InlineData("INT", false)]
    [InlineData("TERM", true)]
    public async Task A_signal_stops_the_devstack_exit_0_and_leaves_no_postgres_or_info_file(string signal, bool throwaway)
    {
        var home = TestPaths.NewDirectory("sig-home-");
        var data = Path.Combine(TestPaths.NewDirectory("sig-data-"), "devstack");
        string[] args = throwaway ? ["devstack", "--port", "0", "--throwaway", "--json"] : ["devstack", "--port", "0", "--data-dir", data, "--json"];
        using var server = ServerProcess.Start(
            Path.Combine(AppContext.BaseDirectory, "autocrm"),
            args,
            new Dictionary<string, string> { ["AUTOCRM_HOME"] = home, ["NO_COLOR"] = "1" });

        var line = await server.WaitForLineAsync(l => l.Contains("\"database_url\"", StringComparison.Ordinal), StartTimeout);
        using var info = JsonDocument.Parse(line);
        var apiPort = new Uri(info.RootElement.GetProperty("url").GetString()!).Port;
        var dbPort = new Uri(info.RootElement.GetProperty("database_url").GetString()!).Port;
        Assert.True(ServerProcess.Listening(apiPort));
        Assert.True(ServerProcess.Listening(dbPort));
        var infoFile = Path.Combine(home, "devstack.json");
        Assert.Equal(!throwaway, File.Exists(infoFile));
        var pidFile = Path.Combine(data, "pgdata", "postmaster.pid");
        var postmaster = throwaway ? 0 : int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture);

        server.Signal(signal);
        var exitCode = await server.WaitForExitAsync(StopTimeout);

        Assert.Equal(0, exitCode);
        Assert.Contains("Stopping…", server.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(infoFile));
        Assert.False(ServerProcess.Listening(dbPort));
        Assert.False(ServerProcess.Listening(apiPort));
        if (!throwaway)
        {
            Assert.False(File.Exists(pidFile), "postmaster.pid is left behind: PostgreSQL did not shut down");
            Assert.False(ServerProcess.Alive(postmaster), $"the postmaster ({postmaster}) is still running");
        }
    }
}
