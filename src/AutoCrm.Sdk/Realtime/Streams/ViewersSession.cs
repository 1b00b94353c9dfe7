using System.Reactive;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>One <c>Viewers</c> subscription: a listener of the ticket's shared <see cref="PresenceTopic"/>.</summary>
internal sealed class ViewersSession(RealtimeClient client, Guid ticketId, IObserver<IReadOnlyList<TicketViewer>> observer)
    : ILiveSession, IStreamSession, IPresenceListener
{
    private readonly IObserver<IReadOnlyList<TicketViewer>> _observer = Observer.Synchronize(observer);
    private readonly LiveSignal _live = new();
    private PresenceTopic? _topic;
    private int _done;

    public Task WhenLive => _live.Task;

    public void Start()
    {
        client.Register(this);
        _topic = client.AcquirePresence(ticketId);
        _topic.AddListener(this);
    }

    public void OnViewers(IReadOnlyList<TicketViewer> viewers)
    {
        if (Volatile.Read(ref _done) == 0)
        {
            _observer.OnNext(viewers);
        }
    }

    public void OnLive(bool live)
    {
        if (live)
        {
            _live.MarkLive();
        }
        else
        {
            _live.MarkNotLive();
        }
    }

    public void OnFailed(Exception error) => Fail(error);

    public void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Teardown();
            _observer.OnError(error);
            _live.Fail(error);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Teardown();
            _live.End();
        }
    }

    private void Teardown()
    {
        client.Unregister(this);
        if (_topic is { } topic)
        {
            topic.RemoveListener(this);
            client.ReleasePresence(topic);
        }
    }
}
