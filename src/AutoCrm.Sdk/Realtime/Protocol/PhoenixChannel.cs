using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>The lifecycle of a channel, as in realtime-js.</summary>
internal enum ChannelState
{
    Closed,
    Joining,
    Joined,
    Errored,
    Leaving,
}

/// <summary>Receives what happens on a channel. Called from the socket's receive loop or from timers; never concurrently for messages.</summary>
internal interface IPhoenixChannelHandler
{
    /// <summary>The join (or a rejoin) succeeded; <paramref name="response"/> is the reply's response (postgres_changes ids).</summary>
    void OnJoined(JsonElement response);

    /// <summary>The server refused the join. The channel retries with backoff unless the handler closes it.</summary>
    void OnJoinFailed(string reason);

    /// <summary>The channel lost its join (socket drop, <c>phx_error</c>, join timeout); it will rejoin.</summary>
    void OnErrored();

    /// <summary>The server closed the channel (<c>phx_close</c>); it will not rejoin. <paramref name="reason"/> is the last system error, if any.</summary>
    void OnClosed(string? reason);

    /// <summary>Any other message for the channel: postgres_changes, broadcast, system.</summary>
    void OnMessage(PhoenixMessage message);

    /// <summary>The presence table changed.</summary>
    void OnPresence(IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> state);
}

/// <summary>One Phoenix channel on a <see cref="PhoenixSocket"/> (realtime-js <c>RealtimeChannel</c>).</summary>
internal sealed class PhoenixChannel
{
    private readonly PhoenixSocket _socket;
    private readonly Func<JsonObject> _config;
    private readonly IPhoenixChannelHandler _handler;
    private readonly object _gate = new();
    private readonly PresenceState _presence = new();
    private ITimer? _joinTimer;
    private ITimer? _rejoinTimer;
    private int _rejoinAttempt;
    private string? _lastSystemError;
    private string? _joinToken;

    internal PhoenixChannel(PhoenixSocket socket, string topic, Func<JsonObject> config, IPhoenixChannelHandler handler)
    {
        _socket = socket;
        Topic = topic;
        _config = config;
        _handler = handler;
    }

    public string Topic { get; }

    public ChannelState State { get; private set; } = ChannelState.Closed;

    public string? JoinRef { get; private set; }

    /// <summary>Starts joining (now if the socket is connected, else when it connects).</summary>
    public void Subscribe()
    {
        lock (_gate)
        {
            if (State != ChannelState.Closed)
            {
                return;
            }

            State = ChannelState.Errored;
        }

        _socket.Add(this);
    }

    /// <summary>Leaves the channel (<c>phx_leave</c>, waits for the reply up to the push timeout) and removes it from the socket.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        string? joinRef;
        bool wasJoined;
        lock (_gate)
        {
            if (State is ChannelState.Closed or ChannelState.Leaving)
            {
                return;
            }

            wasJoined = State == ChannelState.Joined;
            State = ChannelState.Leaving;
            joinRef = JoinRef;
            CancelTimers();
        }

        try
        {
            if (wasJoined)
            {
                await _socket.RequestAsync(new PhoenixPush(joinRef, _socket.MakeRef(), Topic, PhoenixEvents.Leave, []), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PhoenixPushException)
        {
            // Leaving anyway: the server drops the channel with the socket.
        }
        finally
        {
            lock (_gate)
            {
                State = ChannelState.Closed;
                _presence.Reset();
            }

            _socket.Remove(this);
        }
    }

    /// <summary>Pushes an event and waits for its reply (broadcast with ack, presence).</summary>
    public Task<PhoenixReply> RequestAsync(string @event, JsonObject payload, CancellationToken cancellationToken = default)
    {
        string? joinRef;
        lock (_gate)
        {
            if (State != ChannelState.Joined)
            {
                throw new PhoenixPushException($"Channel {Topic} is not joined.", isTimeout: false);
            }

            joinRef = JoinRef;
        }

        return _socket.RequestAsync(new PhoenixPush(joinRef, _socket.MakeRef(), Topic, @event, payload), cancellationToken);
    }

    /// <summary>Pushes an event that gets no reply. Returns false when the channel is not joined.</summary>
    public Task<bool> SendAsync(string @event, JsonObject payload, CancellationToken cancellationToken = default)
    {
        string? joinRef;
        lock (_gate)
        {
            if (State != ChannelState.Joined)
            {
                return Task.FromResult(false);
            }

            joinRef = JoinRef;
        }

        return _socket.SendAsync(new PhoenixPush(joinRef, _socket.MakeRef(), Topic, @event, payload), cancellationToken);
    }

    internal void PushAccessToken(string token) =>
        _ = SendAsync(PhoenixEvents.AccessToken, new JsonObject { ["access_token"] = token });

    /// <summary>Sends <c>phx_join</c> with the config and the current access token.</summary>
    internal void SendJoin()
    {
        string joinRef;
        lock (_gate)
        {
            if (State is ChannelState.Closed or ChannelState.Leaving)
            {
                return;
            }

            CancelTimers();
            joinRef = _socket.MakeRef();
            JoinRef = joinRef;
            State = ChannelState.Joining;
            _lastSystemError = null;
            _presence.Reset();
            _joinTimer = _socket.Time.CreateTimer(
                static s =>
                {
                    var (self, r) = ((PhoenixChannel, string))s!;
                    self.OnJoinTimeout(r);
                },
                (this, joinRef),
                _socket.Options.PushTimeout,
                Timeout.InfiniteTimeSpan);
        }

        // The token provider is the source of truth; a change seen here is pushed to the other joined channels too.
        _socket.SetAccessToken(_socket.Options.AccessToken());
        var token = _socket.CurrentAccessToken;
        _joinToken = token;
        var payload = new JsonObject
        {
            ["config"] = _config(),
            ["access_token"] = token,
        };
        RealtimeLog.Joining(_socket.Logger, Topic, joinRef);
        _socket.Post(new PhoenixPush(joinRef, joinRef, Topic, PhoenixEvents.Join, payload));
    }

    internal void OnSocketDropped()
    {
        lock (_gate)
        {
            if (State is ChannelState.Closed or ChannelState.Leaving)
            {
                return;
            }

            CancelTimers();
            State = ChannelState.Errored;
        }

        _handler.OnErrored();
    }

    internal void OnSocketDisposed()
    {
        lock (_gate)
        {
            CancelTimers();
            State = ChannelState.Closed;
        }
    }

    internal void Handle(PhoenixMessage message)
    {
        var evt = message.Event;
        if (PhoenixEvents.IsLifecycle(evt))
        {
            // Stale lifecycle messages from an earlier join of this topic are ignored (realtime-js isMember / _trigger).
            var current = JoinRef;
            if ((message.JoinRef is not null && message.JoinRef != current)
                || (evt != PhoenixEvents.Reply && message.Ref is not null && message.Ref != current))
            {
                return;
            }
        }

        switch (evt)
        {
            case PhoenixEvents.Reply:
                HandleJoinReply(message);
                break;
            case PhoenixEvents.Close:
                HandleClose();
                break;
            case PhoenixEvents.Error:
                HandleError();
                break;
            case PhoenixEvents.PresenceState:
                IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> state;
                lock (_gate)
                {
                    _presence.SyncState(message.Payload, JoinRef);
                    state = _presence.Snapshot();
                }

                _handler.OnPresence(state);
                break;
            case PhoenixEvents.PresenceDiff:
                IReadOnlyDictionary<string, IReadOnlyList<JsonElement>>? diffed = null;
                lock (_gate)
                {
                    if (_presence.SyncDiff(message.Payload, JoinRef))
                    {
                        diffed = _presence.Snapshot();
                    }
                }

                if (diffed is not null)
                {
                    _handler.OnPresence(diffed);
                }

                break;
            case PhoenixEvents.System:
                if (message.Payload.ValueKind == JsonValueKind.Object
                    && message.Payload.TryGetProperty("status", out var status)
                    && status.ValueKind == JsonValueKind.String
                    && status.ValueEquals("error"u8))
                {
                    var text = message.Payload.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    _lastSystemError = text ?? "system error";
                    RealtimeLog.SystemError(_socket.Logger, Topic, text);
                }

                _handler.OnMessage(message);
                break;
            default:
                _handler.OnMessage(message);
                break;
        }
    }

    private void HandleJoinReply(PhoenixMessage message)
    {
        var reply = PhoenixReply.From(message.Payload);
        lock (_gate)
        {
            if (State != ChannelState.Joining || message.Ref != JoinRef)
            {
                return;
            }

            _joinTimer?.Dispose();
            _joinTimer = null;
            if (reply.IsOk)
            {
                State = ChannelState.Joined;
                _rejoinAttempt = 0;
            }
            else
            {
                State = ChannelState.Errored;
            }
        }

        if (reply.IsOk)
        {
            RealtimeLog.Joined(_socket.Logger, Topic);

            // The token changed while the join was in flight: the server still has the old one.
            if (_socket.CurrentAccessToken is var current && current != _joinToken)
            {
                PushAccessToken(current);
            }

            _handler.OnJoined(reply.Response);
        }
        else
        {
            RealtimeLog.JoinFailed(_socket.Logger, Topic, reply.Reason);
            ScheduleRejoin();
            _handler.OnJoinFailed(reply.Reason);
        }
    }

    private void HandleClose()
    {
        string? reason;
        lock (_gate)
        {
            if (State is ChannelState.Closed)
            {
                return;
            }

            if (State is ChannelState.Leaving)
            {
                // Our own leave: LeaveAsync finishes the teardown.
                return;
            }

            CancelTimers();
            State = ChannelState.Closed;
            reason = _lastSystemError;
            _presence.Reset();
        }

        RealtimeLog.ChannelClosed(_socket.Logger, Topic);
        _socket.Remove(this);
        _handler.OnClosed(reason);
    }

    /// <summary>Marks a joined channel errored and rejoins it with backoff.</summary>
    public void Rejoin() => HandleError();

    private void HandleError()
    {
        lock (_gate)
        {
            if (State is ChannelState.Closed or ChannelState.Leaving)
            {
                return;
            }

            State = ChannelState.Errored;
        }

        // The rejoin timer exists before anyone hears of the error (tests advance time on that signal).
        ScheduleRejoin();
        _handler.OnErrored();
    }

    private void OnJoinTimeout(string joinRef)
    {
        lock (_gate)
        {
            if (State != ChannelState.Joining || JoinRef != joinRef)
            {
                return;
            }

            State = ChannelState.Errored;
        }

        // The rejoin timer exists before anyone hears of the error (tests advance time on that signal).
        ScheduleRejoin();
        _handler.OnErrored();
    }

    private void ScheduleRejoin()
    {
        lock (_gate)
        {
            if (State != ChannelState.Errored)
            {
                return;
            }

            _rejoinAttempt++;
            var delay = _socket.Backoff(_socket.Options.RejoinDelays, _rejoinAttempt);
            _rejoinTimer?.Dispose();
            _rejoinTimer = _socket.Time.CreateTimer(
                static s => ((PhoenixChannel)s!).OnRejoinTimer(),
                this,
                delay,
                Timeout.InfiniteTimeSpan);
            RealtimeLog.RejoinScheduled(_socket.Logger, Topic, delay);
        }
    }

    private void OnRejoinTimer()
    {
        lock (_gate)
        {
            if (State != ChannelState.Errored)
            {
                return;
            }
        }

        // When the socket is down the reconnect rejoins every channel instead.
        if (_socket.IsConnected)
        {
            SendJoin();
        }
    }

    private void CancelTimers()
    {
        _joinTimer?.Dispose();
        _joinTimer = null;
        _rejoinTimer?.Dispose();
        _rejoinTimer = null;
    }
}
