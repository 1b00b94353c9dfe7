using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;

[assembly: AssemblyFixture(typeof(AutoCrm.ConsoleHost.Tests.DevStackFixture))]

namespace AutoCrm.ConsoleHost.Tests;

/// <summary>One throwaway DevStack (seeded) for the whole test assembly.</summary>
public sealed class DevStackFixture : IAsyncLifetime
{
    private DevStackServer? _server;

    internal DevStackServer Server => _server ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync() =>
        _server = await DevStackServer.StartAsync(new DevStackOptions { EnforceAuthRateLimits = false }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        TestPaths.DeleteAll();
    }

    /// <summary>An SDK client with the service_role key, for arranging and checking data.</summary>
    internal CrmClient ServiceClient() =>
        new(new CrmClientOptions { Url = Server.Url, ApiKey = Server.ServiceRoleKey, SessionStore = new InMemorySessionStore() });

    /// <summary>A command-line runner with its own config directory (~/.autocrm), pointed at this DevStack.</summary>
    internal Cli Cli(bool configured = true) => new(configured ? this : null);
}
