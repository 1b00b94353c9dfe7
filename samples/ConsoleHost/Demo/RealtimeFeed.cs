using AutoCrm.Sdk;
using AutoCrm.Sdk.Realtime;

namespace AutoCrm.ConsoleHost.Demo;

/// <summary>The demo's live events from the SDK's realtime streams: <c>tickets:status_change</c> (StatusChanges),
/// <c>queue:updates</c> (QueueUpdates of each demo queue) and, for <c>watch</c>, <c>sla:breached</c> (SlaBreaches).</summary>
internal sealed class RealtimeFeed : IDemoFeed
{
    private readonly List<IDisposable> _subscriptions = [];
    private readonly List<Func<CancellationToken, Task>> _live = [];

    internal RealtimeFeed(
        CrmClient crm, Guid? statusQueue, IReadOnlyCollection<Guid> queues, Action<DemoEvent> onEvent, Action<Exception> onError, bool slaBreaches = false)
    {
        if (slaBreaches)
        {
            var breaches = crm.Realtime.SlaBreaches(statusQueue);
            _live.Add(breaches.WhenLiveAsync);
            _subscriptions.Add(breaches.Subscribe(new Observer<SlaBreach>(
                b => onEvent(new DemoEvent(DemoEvent.SlaStream, DemoEvent.BreachKey(b.EventId), b.TicketId, b.Metric + " breached") { EventId = b.EventId, At = b.RecordedAt, DueAt = b.DueAt }),
                onError)));
        }

        var statusChanges = crm.Realtime.StatusChanges(statusQueue);
        _live.Add(statusChanges.WhenLiveAsync);
        _subscriptions.Add(statusChanges.Subscribe(new Observer<TicketStatusChanged>(
            c => onEvent(new DemoEvent(DemoEvent.StatusStream, DemoEvent.StatusKey(c.EventId), c.TicketId, $"{Cli.Arguments.Snake(c.From)} → {Cli.Arguments.Snake(c.To)}") { EventId = c.EventId, ActorId = c.ActorId, At = c.ChangedAt }),
            onError)));
        foreach (var queue in queues)
        {
            var updates = crm.Realtime.QueueUpdates(queue);
            _live.Add(updates.WhenLiveAsync);
            _subscriptions.Add(updates.Subscribe(new Observer<QueueUpdate>(
                u =>
                {
                    var kind = u.Kind.ToString().ToLowerInvariant();
                    onEvent(new DemoEvent(DemoEvent.QueueStream, DemoEvent.QueueKey(u.QueueId, u.EventId, kind), u.TicketId, kind) { EventId = u.EventId, QueueId = u.QueueId, ActorId = u.ActorId, At = u.OccurredAt });
                },
                onError)));
        }
    }

    public string Description => "SDK realtime streams (tickets:status_change, queue:updates)";

    /// <summary>Waits until every stream is live: changes committed after this are guaranteed to arrive.</summary>
    internal async Task WhenLiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_live.Select(live => live(cancellationToken))).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new CrmRealtimeException($"the realtime streams did not go live within {timeout.TotalSeconds:0} s", ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Observer<T>(Action<T> next, Action<Exception> error) : IObserver<T>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception exception) => error(exception);

        public void OnNext(T value) => next(value);
    }
}
