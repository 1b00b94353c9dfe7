using System.Text.Json;
using AutoCrm.Sdk;

namespace AutoCrm.ConsoleHost.Demo;

/// <summary>The fallback feed when the SDK has no realtime client: reads new <c>ticket_events</c> rows (by id) and projects
/// them exactly as the SDK's <c>StatusChanges</c>/<c>QueueUpdates</c> streams do.</summary>
internal sealed class PollingFeed : IDemoFeed
{
    private const long Lookback = 200;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    internal PollingFeed(CrmClient service, long afterEventId, IReadOnlySet<Guid> queues, Action<DemoEvent> onEvent, Action<Exception> onError, TimeSpan interval)
    {
        _loop = RunAsync(service, afterEventId, queues, onEvent, interval, _stop.Token)
            .ContinueWith(t => onError(t.Exception!.InnerException!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    public string Description => "polling ticket_events (the SDK realtime client is not merged yet)";

    internal static async Task<long> NewestEventIdAsync(CrmClient service, CancellationToken cancellationToken)
    {
        var rows = await service.Rest.From("ticket_events").Select("id").Order("id", descending: true).Limit(1).ToJsonAsync(cancellationToken).ConfigureAwait(false);
        return rows.ValueKind == JsonValueKind.Array && rows.GetArrayLength() > 0 ? rows[0].GetProperty("id").GetInt64() : 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private static async Task RunAsync(CrmClient service, long floor, IReadOnlySet<Guid> queues, Action<DemoEvent> onEvent, TimeSpan interval, CancellationToken cancellationToken)
    {
        var ticketQueues = new Dictionary<Guid, Guid?>();
        var newest = floor;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            // Ids are taken before commit, so a later id can become visible first: re-read a window below the newest
            // id seen (the demo drops duplicates by key).
            var rows = await service.Rest.From("ticket_events").Gt("id", Math.Max(floor, newest - Lookback)).Order("id").Limit(1000).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in rows.EnumerateArray())
            {
                newest = Math.Max(newest, row.GetProperty("id").GetInt64());
                foreach (var e in DemoProjection.Project(row, queues, ticketQueues))
                {
                    onEvent(e);
                }
            }
        }
    }
}
