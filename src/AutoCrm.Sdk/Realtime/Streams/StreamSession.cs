using System.Reactive;
using AutoCrm.Sdk.Realtime.Protocol;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>A live subscription that the client can end with a terminal error (sign-out).</summary>
internal interface IStreamSession
{
    void Fail(Exception error);
}

/// <summary>
/// One subscription of a typed stream: owns its channel, turns channel lifecycle into Rx terminal events (only terminal
/// failures reach OnError; drops and rejoins stay inside) and serializes calls to the observer.
/// </summary>
internal abstract class StreamSession<T> : IStreamSession, ILiveSession
{
    private readonly IObserver<T> _observer;
    private readonly LiveSignal _live = new();
    private ITimer? _confirmTimer;
    private int _joins;
    private int _confirmedJoin;
    private int _done;
    private int _tokenFailures;

    protected StreamSession(RealtimeClient client, IObserver<T> observer)
    {
        Client = client;
        _observer = Observer.Synchronize(observer);
    }

    protected RealtimeClient Client { get; }

    protected RealtimeChannel? Channel { get; private set; }

    protected bool IsDone => Volatile.Read(ref _done) != 0;

    /// <summary>
    /// Completes when the subscription is live: joined, the server confirmed the database subscription and (event streams)
    /// the catch-up ran. Changes committed after that are delivered. Reset by a drop; faulted by a terminal failure.
    /// </summary>
    public Task WhenLive => _live.Task;

    public void Start()
    {
        Client.Register(this);
        Channel = CreateChannel();
        OnStarting();
        Channel.Subscribe();
    }

    protected abstract RealtimeChannel CreateChannel();

    protected virtual void OnStarting()
    {
    }

    protected virtual void OnTeardown()
    {
    }

    /// <summary>A channel with this session's terminal handling wired in.</summary>
    protected RealtimeChannel NewChannel(RealtimeChannelConfig config, Action<PostgresChangesBinding, PostgresChange>? onChange, Action? joined = null) =>
        new(Client.Socket, Client.NextTopic(), config, onChange)
        {
            Joined = () =>
            {
                _tokenFailures = 0;
                MarkNotLive();
                StartConfirmTimer();
                joined?.Invoke();
            },
            Errored = MarkNotLive,
            Closed = reason =>
            {
                if (reason is null)
                {
                    Complete();
                }
                else
                {
                    Fail(new CrmRealtimeException($"The realtime channel was closed by the server: {reason}"));
                }
            },
            JoinFailed = OnJoinFailed,
            BindingMismatch = reason => Fail(new CrmRealtimeException($"The realtime subscription failed: {reason}")),
            SystemMessage = OnSystemMessage,
        };

    /// <summary>The server confirmed the database subscription: changes flow from here on.</summary>
    protected virtual void OnSubscribed() => MarkLive();

    /// <summary>The subscription is live (see <see cref="WhenLive"/>).</summary>
    protected void MarkLive() => _live.MarkLive();

    private void MarkNotLive() => _live.MarkNotLive();

    /// <summary>
    /// Supabase Realtime confirms every postgres_changes subscription with a <c>system</c> message; should one never come,
    /// the session goes on after the push timeout as if it had (and logs it) rather than holding events forever.
    /// </summary>
    private void StartConfirmTimer()
    {
        var join = Interlocked.Increment(ref _joins);
        var timer = Client.Time.CreateTimer(
            _ =>
            {
                if (Volatile.Read(ref _joins) == join && Interlocked.Exchange(ref _confirmedJoin, join) != join && !IsDone)
                {
                    RealtimeLog.NoSubscriptionConfirmation(Client.Logger, Channel?.Topic ?? "");
                    OnSubscribed();
                }
            },
            null,
            Client.Options.PushTimeout,
            Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _confirmTimer, timer)?.Dispose();
    }

    private void OnSystemMessage(string extension, string status, string? message)
    {
        if (extension != "postgres_changes")
        {
            return;
        }

        if (status == "ok")
        {
            var join = Volatile.Read(ref _joins);
            if (Interlocked.Exchange(ref _confirmedJoin, join) != join)
            {
                Interlocked.Exchange(ref _confirmTimer, null)?.Dispose();
                OnSubscribed();
            }
        }
        else if (message?.StartsWith("Error parsing", StringComparison.Ordinal) == true)
        {
            Fail(new CrmRealtimeException($"The realtime subscription was refused: {message}"));
        }
        else
        {
            // The server could not subscribe right now: rejoin with backoff (the catch-up covers the gap).
            Channel?.Rejoin();
        }
    }

    private void OnJoinFailed(string reason)
    {
        if (reason.StartsWith("Unauthorized", StringComparison.Ordinal))
        {
            Fail(new CrmRealtimeException($"The realtime subscription was refused: {reason}"));
        }
        else if (reason.StartsWith("InvalidJWTToken", StringComparison.Ordinal))
        {
            // The token may just have expired: refresh it before the channel's next attempt; give up if that keeps failing.
            if (Interlocked.Increment(ref _tokenFailures) >= 5)
            {
                Fail(new CrmRealtimeException($"The realtime subscription was refused: {reason}"));
            }
            else
            {
                Client.RequestTokenRefresh();
            }
        }
    }

    protected void Emit(T value)
    {
        if (!IsDone)
        {
            _observer.OnNext(value);
        }
    }

    public void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Teardown();

            // The observer hears first: SubscribeAsync unsubscribes when the live task faults.
            _observer.OnError(error);
            _live.Fail(error);
        }
    }

    protected void Complete()
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
        Interlocked.Exchange(ref _confirmTimer, null)?.Dispose();
        Client.Unregister(this);
        OnTeardown();
        if (Channel is { } channel)
        {
            Client.Leave(channel);
        }
    }
}
