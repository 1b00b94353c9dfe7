using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>
/// The REST schema cache: relations, columns, keys, relationships and functions read from pg_catalog.
/// Loaded at startup and after <c>NOTIFY pgrst, 'reload schema'</c>. Unlike PostgREST, a request that
/// names an unknown relation or function triggers one reload (at most once per second) before the 404,
/// so DDL run by hand in a dev database is picked up without a notification.
/// </summary>
internal sealed partial class SchemaCache(RestEnvironment environment, ILogger<SchemaCache> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile SchemaSnapshot? current;
    private long version;

    /// <summary>Incremented after every successful load; tests wait on it.</summary>
    public long Version => Interlocked.Read(ref version);

    public event Action<SchemaSnapshot>? Reloaded;

    public async ValueTask<SchemaSnapshot> GetAsync(CancellationToken cancellationToken)
    {
        var snapshot = current;
        return snapshot ?? await ReloadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reloads after a miss unless the snapshot the caller saw was loaded less than a second ago.</summary>
    public async ValueTask<SchemaSnapshot> RefreshAfterMissAsync(SchemaSnapshot seen, CancellationToken cancellationToken)
    {
        var now = current;
        if (now is not null && !ReferenceEquals(now, seen))
        {
            return now;
        }

        if (environment.TimeProvider.GetElapsedTime(seen.LoadedAtTimestamp) < TimeSpan.FromSeconds(1))
        {
            return seen;
        }

        return await ReloadAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<SchemaSnapshot> ReloadAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = await SchemaLoader.LoadAsync(environment.Admin, environment.TimeProvider, cancellationToken).ConfigureAwait(false);
            current = snapshot;
            Interlocked.Increment(ref version);
            LogLoaded(logger, snapshot.Relations.Count, snapshot.Functions.Count);
            Reloaded?.Invoke(snapshot);
            return snapshot;
        }
        finally
        {
            gate.Release();
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "REST schema cache loaded: {Relations} relations, {Functions} function names")]
    private static partial void LogLoaded(ILogger logger, int relations, int functions);
}

/// <summary>Keeps <c>LISTEN pgrst</c> open on an admin connection and reloads the cache on notifications.</summary>
internal sealed partial class SchemaCacheListener(SchemaCache cache, RestEnvironment environment, ILogger<SchemaCacheListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await environment.Admin.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                var reload = 0;
                connection.Notification += (_, e) =>
                {
                    if (e.Payload is "" or "reload schema" or "reload config")
                    {
                        Interlocked.Exchange(ref reload, 1);
                    }
                };
                await using (var listen = new NpgsqlCommand("LISTEN pgrst", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                // Load after LISTEN so a NOTIFY sent before we listened is never lost.
                await cache.ReloadAsync(stoppingToken).ConfigureAwait(false);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
                    if (Interlocked.Exchange(ref reload, 0) == 1)
                    {
                        await cache.ReloadAsync(stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                LogListenFailed(logger, e);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), environment.TimeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "REST schema listener lost its connection; retrying")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
