using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoCrm.DevStack.Realtime;

/// <summary>The Realtime service's shared state: options, hub, token verifier, catalog and replication status.</summary>
internal sealed class RealtimeService : IAsyncDisposable
{
    private readonly TaskCompletionSource _replicationReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _ownsDataSource;
    private volatile string? _replicationError;

    public RealtimeService(RealtimeOptions options, IRealtimeTokenVerifier verifier, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        Options = options;
        Verifier = verifier;
        TimeProvider = timeProvider;
        Logger = loggerFactory.CreateLogger("AutoCrm.DevStack.Realtime");
        _ownsDataSource = options.DataSource is null;
        DataSource = options.DataSource ?? NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(options.AdminConnectionString)
        {
            ApplicationName = "autocrm-realtime",
        }.ConnectionString);
        Catalog = new RealtimeCatalog(DataSource, options.PublicationName);
        Authorization = new ChannelAuthorization(this);

        // The dispatcher's own connection: its RLS statements repeat with the same text, so prepare them.
        DispatchDataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(options.AdminConnectionString)
        {
            ApplicationName = "autocrm-realtime-rls",
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
        }.ConnectionString);
    }

    public RealtimeOptions Options { get; }

    public IRealtimeTokenVerifier Verifier { get; }

    public TimeProvider TimeProvider { get; }

    public ILogger Logger { get; }

    public RealtimeHub Hub { get; } = new();

    /// <summary>Superuser pool for catalog look-ups and row-level-security checks.</summary>
    public NpgsqlDataSource DataSource { get; }

    public RealtimeCatalog Catalog { get; }

    /// <summary>Private channels' policy checks (<c>realtime.messages</c>).</summary>
    public ChannelAuthorization Authorization { get; }

    /// <summary>Superuser pool (auto-prepared statements) for the change dispatcher's row-level-security checks.</summary>
    public NpgsqlDataSource DispatchDataSource { get; }

    /// <summary>
    /// Test hook: called before each dispatch attempt of a round with its changes and the attempt number (1-based);
    /// throwing from it makes that attempt fail like a database error would.
    /// </summary>
    internal Action<IReadOnlyList<RowChange>, int>? DispatchFault { get; set; }

    /// <summary>
    /// Test hook: called on a subscriber's socket (its send loop) just before the remaining conditions of a change are
    /// evaluated for one of its channels; blocking in it holds up only that socket.
    /// </summary>
    internal Action<RealtimeChannel>? FilterWorkHook { get; set; }

    public void ReplicationStarted() => _replicationReady.TrySetResult();

    public void ReplicationFailed(string message) => _replicationError = message;

    /// <summary>Waits until the replication slot exists; returns an error message when it cannot be set up.</summary>
    public async Task<string?> WaitForReplicationAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _replicationReady.Task.WaitAsync(TimeSpan.FromSeconds(30), TimeProvider, cancellationToken);
            return null;
        }
        catch (TimeoutException)
        {
            return "Unable to subscribe to changes with given parameters. Logical replication is not running"
                + (_replicationError is { } e ? ": " + e : "");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DispatchDataSource.DisposeAsync();
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync();
        }
    }
}
