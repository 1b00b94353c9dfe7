[assembly: AssemblyFixture(typeof(AutoCrm.DevStack.Tests.Realtime.RealtimeEnvironment))]

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>One scratch cluster and one Realtime server (system clock) for all Realtime tests.</summary>
public sealed class RealtimeEnvironment : IAsyncLifetime
{
    private RealtimeTestServer? _server;

    public ScratchPostgres Postgres { get; } = new();

    internal RealtimeTestServer Server => _server ?? throw new InvalidOperationException("not started");

    public Uri Url => Server.Url;

    public async ValueTask InitializeAsync()
    {
        await Postgres.InitializeAsync();
        _server = await RealtimeTestServer.StartAsync(Postgres.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await Postgres.DisposeAsync();
    }

    internal Task<RealtimeTestClient> ConnectAsync(string vsn = "1.0.0", string? apiKey = null) =>
        RealtimeTestClient.ConnectAsync(Url, apiKey ?? TestTokens.Anon(), vsn);
}
