using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Realtime.Protocol;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>What a <see cref="BroadcastTopic"/> tells each subscription of its messages.</summary>
internal interface IBroadcastListener
{
    void OnMessage(BroadcastMessage message);

    /// <summary>True once the channel joined; false after a drop.</summary>
    void OnLive(bool live);

    void OnFailed(Exception error);
}

/// <summary>
/// One broadcast channel of a client (<c>realtime:&lt;name&gt;</c>, acknowledged sends), shared by every
/// <see cref="RealtimeBroadcast"/> handle of that name on the client: their message subscriptions and senders each hold a
/// lease (<see cref="SharedTopics{TKey, TTopic}"/>). Private by default: the project's policies decide who may join, listen
/// and send.
/// </summary>
internal sealed class BroadcastTopic : ISharedTopic
{
    private readonly object _gate = new();
    private readonly List<IBroadcastListener> _listeners = [];
    private readonly LiveSignal _joined = new();
    private bool _isJoined;

    public BroadcastTopic(RealtimeClient client, string name, BroadcastOptions options)
    {
        Name = name;
        Options = options;
        Channel = new RealtimeChannel(
            client.Socket,
            "realtime:" + name,
            new RealtimeChannelConfig { BroadcastAck = true, BroadcastSelf = options.ReceiveOwn, Private = options.Private })
        {
            Joined = () => SetJoined(true),
            Errored = () => SetJoined(false),
            Broadcast = OnBroadcast,
            Closed = reason => FailAll(new CrmRealtimeException($"The broadcast channel {name} was closed by the server{(reason is null ? "" : ": " + reason)}")),
            JoinFailed = reason =>
            {
                if (reason.StartsWith("Unauthorized", StringComparison.Ordinal))
                {
                    FailAll(new CrmRealtimeException($"The broadcast channel {name} was refused: {reason}"));
                }
            },
        };
    }

    public string Name { get; }

    public BroadcastOptions Options { get; }

    public RealtimeChannel Channel { get; }

    public void AddListener(IBroadcastListener listener)
    {
        bool joined;
        lock (_gate)
        {
            _listeners.Add(listener);
            joined = _isJoined;
        }

        if (joined)
        {
            listener.OnLive(true);
        }
    }

    public void RemoveListener(IBroadcastListener listener)
    {
        lock (_gate)
        {
            _listeners.Remove(listener);
        }
    }

    /// <summary>Waits until the channel is joined (again, after a drop), then sends and waits for the server's acknowledgement.</summary>
    public async Task SendAsync(string @event, JsonElement payload, CancellationToken cancellationToken)
    {
        await _joined.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Channel.BroadcastAsync(@event, JsonNode.Parse(payload.GetRawText()), cancellationToken).ConfigureAwait(false);
        }
        catch (PhoenixPushException ex)
        {
            throw new CrmRealtimeException($"The broadcast '{@event}' on {Name} was not acknowledged: {ex.Message}", ex);
        }
    }

    private void SetJoined(bool joined)
    {
        IBroadcastListener[] listeners;
        lock (_gate)
        {
            _isJoined = joined;
            listeners = [.. _listeners];
        }

        if (joined)
        {
            _joined.MarkLive();
        }
        else
        {
            _joined.MarkNotLive();
        }

        foreach (var listener in listeners)
        {
            listener.OnLive(joined);
        }
    }

    private void OnBroadcast(string @event, JsonElement message)
    {
        var payload = message.TryGetProperty("payload", out var p) ? p.Clone() : default;
        var item = new BroadcastMessage(@event, payload);
        IBroadcastListener[] listeners;
        lock (_gate)
        {
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener.OnMessage(item);
        }
    }

    private void FailAll(Exception error)
    {
        _joined.Fail(error);
        IBroadcastListener[] listeners;
        lock (_gate)
        {
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener.OnFailed(error);
        }
    }
}

/// <summary>One subscription of <see cref="RealtimeBroadcast.Messages"/>: a listener of the client's shared topic.</summary>
internal sealed class BroadcastSession(RealtimeClient client, RealtimeBroadcast owner, IObserver<BroadcastMessage> observer)
    : ILiveSession, IStreamSession, IBroadcastListener
{
    private readonly IObserver<BroadcastMessage> _observer = System.Reactive.Observer.Synchronize(observer);
    private readonly LiveSignal _live = new();
    private BroadcastTopic? _topic;
    private int _done;

    public Task WhenLive => _live.Task;

    public void Start()
    {
        client.Register(this);
        if (!owner.Register(this))
        {
            Complete();
            return;
        }

        try
        {
            _topic = client.AcquireBroadcast(owner.Name, owner.Options);
        }
        catch (CrmRealtimeException ex)
        {
            Fail(ex);
            return;
        }

        _topic.AddListener(this);
    }

    public void OnMessage(BroadcastMessage message)
    {
        if (Volatile.Read(ref _done) == 0)
        {
            _observer.OnNext(message);
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

    /// <summary>The handle was disposed: the subscription completes.</summary>
    public void Complete()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Teardown();
            _observer.OnCompleted();
            _live.End();
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
        owner.Unregister(this);
        if (_topic is { } topic)
        {
            topic.RemoveListener(this);
            client.ReleaseBroadcast(topic);
        }
    }
}

/// <summary>A stream derived from another realtime stream (a projection): same channel, same "is live" signal.</summary>
internal sealed class ProjectedSession<TSource, T>(RealtimeStream<TSource> source, Func<TSource, (bool Keep, T Value)> project, IObserver<T> observer) : ILiveSession
{
    private IDisposable? _subscription;

    public Task WhenLive
    {
        get
        {
            try
            {
                return source.WhenLiveAsync();
            }
            catch (InvalidOperationException)
            {
                return Task.FromCanceled(new CancellationToken(canceled: true));
            }
        }
    }

    public void Start() =>
        _subscription = source.Subscribe(
            item =>
            {
                (bool Keep, T Value) projected;
                try
                {
                    projected = project(item);
                }
                catch (JsonException ex)
                {
                    observer.OnError(ex);
                    Dispose();
                    return;
                }

                if (projected.Keep)
                {
                    observer.OnNext(projected.Value);
                }
            },
            observer.OnError,
            observer.OnCompleted);

    public void Dispose() => Interlocked.Exchange(ref _subscription, null)?.Dispose();
}
