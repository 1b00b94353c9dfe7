using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>
/// One Phoenix websocket (the realtime-js <c>RealtimeClient</c> equivalent): connects when the first channel is added and
/// closes after the last one is removed, heartbeats on <see cref="TimeProvider"/>, reconnects with jittered backoff and
/// rejoins every channel after a reconnect.
/// </summary>
internal sealed class PhoenixSocket : IAsyncDisposable
{
    private readonly PhoenixSocketOptions _options;
    private readonly PhoenixSerializer _serializer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, PhoenixChannel> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<PhoenixReply>> _pending = new(StringComparer.Ordinal);
    private readonly BehaviorSubject<RealtimeConnectionState> _state = new(RealtimeConnectionState.Disconnected);
    private readonly object _stateGate = new();
    private long _ref;
    private Connection? _connection;
    private CancellationTokenSource? _runCts;
    private Task _runTask = Task.CompletedTask;
    private string? _lastToken;
    private bool _disposed;

    public PhoenixSocket(PhoenixSocketOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _serializer = PhoenixSerializer.For(options.Version);
        _time = timeProvider;
        _logger = logger;
        _lastToken = options.AccessToken();
    }

    internal PhoenixSocketOptions Options => _options;

    internal TimeProvider Time => _time;

    internal ILogger Logger => _logger;

    /// <summary>Connection state changes; replays the current state on subscribe.</summary>
    public IObservable<RealtimeConnectionState> States => _state.DistinctUntilChanged();

    public RealtimeConnectionState State => _state.Value;

    public bool IsConnected
    {
        get
        {
            lock (_gate)
            {
                return _connection is not null;
            }
        }
    }

    /// <summary>Raised (for tests and metrics) after a reconnect delay was scheduled.</summary>
    internal event Action<int, TimeSpan>? ReconnectScheduled;

    /// <summary>Raised after each received message was handed to its channel (a test and diagnostics hook; frames are handled in order).</summary>
    internal event Action<PhoenixMessage>? MessageHandled;

    /// <summary>The url with <c>apikey</c> and <c>vsn</c>, as realtime-js builds it.</summary>
    public Uri EndpointUrl
    {
        get
        {
            var builder = new UriBuilder(_options.Endpoint);
            var query = builder.Query.TrimStart('?');
            var extra = $"apikey={Uri.EscapeDataString(_options.ApiKey)}&vsn={_serializer.Vsn}";
            builder.Query = query.Length == 0 ? extra : query + "&" + extra;
            return builder.Uri;
        }
    }

    /// <summary>The token joins and <c>access_token</c> pushes carry: the user token or, without a session, the project key.</summary>
    public string CurrentAccessToken => _lastToken ?? _options.ApiKey;

    public string MakeRef() => Interlocked.Increment(ref _ref).ToString(CultureInfo.InvariantCulture);

    /// <summary>Creates a channel; it joins once <see cref="PhoenixChannel.Subscribe"/> is called.</summary>
    public PhoenixChannel Channel(string topic, Func<JsonObject> config, IPhoenixChannelHandler handler) =>
        new(this, topic, config, handler);

    /// <summary>Records a new access token and pushes it on every joined channel if it changed.</summary>
    public void SetAccessToken(string? token)
    {
        PhoenixChannel[] joined;
        lock (_gate)
        {
            if (token == _lastToken)
            {
                return;
            }

            _lastToken = token;
            joined = [.. _channels.Values.Where(c => c.State == ChannelState.Joined)];
        }

        foreach (var channel in joined)
        {
            channel.PushAccessToken(CurrentAccessToken);
        }
    }

    internal void Add(PhoenixChannel channel)
    {
        bool start, connected;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_channels.TryGetValue(channel.Topic, out var existing) && existing != channel)
            {
                throw new InvalidOperationException($"Topic {channel.Topic} is already joined on this socket.");
            }

            _channels[channel.Topic] = channel;
            start = _runCts is null;
            connected = _connection is not null;
            if (start)
            {
                _runCts = new CancellationTokenSource();
                var token = _runCts.Token;
                var previous = _runTask;
                _runTask = Task.Run(() => RunAsync(previous, token), CancellationToken.None);
            }
        }

        if (connected)
        {
            channel.SendJoin();
        }
    }

    internal void Remove(PhoenixChannel channel)
    {
        CancellationTokenSource? stop = null;
        lock (_gate)
        {
            if (!_channels.TryGetValue(channel.Topic, out var existing) || existing != channel)
            {
                return;
            }

            _channels.Remove(channel.Topic);
            if (_channels.Count == 0 && _runCts is not null)
            {
                stop = _runCts;
                _runCts = null;
            }
        }

        if (stop is not null)
        {
            stop.Cancel();
            stop.Dispose();
        }
    }

    /// <summary>Sends a push and waits for its <c>phx_reply</c> (or the push timeout, or a disconnect).</summary>
    internal async Task<PhoenixReply> RequestAsync(PhoenixPush push, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<PhoenixReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reference = push.Ref ?? throw new ArgumentException("A request needs a ref.", nameof(push));
        lock (_gate)
        {
            if (_connection is null)
            {
                throw new PhoenixPushException("The realtime socket is not connected.", isTimeout: false);
            }

            _pending[reference] = completion;
        }

        using var timer = _time.CreateTimer(
            static state => ((TaskCompletionSource<PhoenixReply>)state!).TrySetException(new PhoenixPushException("The push timed out.", isTimeout: true)),
            completion,
            _options.PushTimeout,
            Timeout.InfiniteTimeSpan);
        try
        {
            await SendAsync(push, cancellationToken).ConfigureAwait(false);
            return await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _pending.Remove(reference);
            }
        }
    }

    /// <summary>Sends a push without waiting for a reply. Returns false when the socket is not connected.</summary>
    internal async Task<bool> SendAsync(PhoenixPush push, CancellationToken cancellationToken = default)
    {
        Connection? connection;
        lock (_gate)
        {
            connection = _connection;
        }

        if (connection is null)
        {
            return false;
        }

        var frame = _serializer.Encode(push);
        await connection.SendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.Socket.SendAsync(
                frame.Data,
                frame.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text,
                endOfMessage: true,
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            RealtimeLog.SendFailed(_logger, push.Topic, ex);
            return false;
        }
        finally
        {
            connection.SendLock.Release();
        }
    }

    /// <summary>Fire-and-forget send used from timers and callbacks.</summary>
    internal void Post(PhoenixPush push) => _ = SendAsync(push);

    private async Task RunAsync(Task previous, CancellationToken stop)
    {
        // A previous run that is still closing must finish first so states and channels do not interleave.
        await previous.ConfigureAwait(false);
        var attempt = 0;
        SetState(RealtimeConnectionState.Connecting);
        while (!stop.IsCancellationRequested)
        {
            Exception? failure = null;
            var everConnected = false;
            var socket = new ClientWebSocket();
            _options.ConfigureWebSocket?.Invoke(socket.Options);
            try
            {
                if (_options.BeforeConnect is { } beforeConnect)
                {
                    await beforeConnect(stop).ConfigureAwait(false);
                }

                RealtimeLog.Connecting(_logger, _options.Endpoint.ToString(), _serializer.Vsn);
                using (var connectTimeout = new CancellationTokenSource(_options.PushTimeout, _time))
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, connectTimeout.Token))
                {
                    await socket.ConnectAsync(EndpointUrl, linked.Token).ConfigureAwait(false);
                }

                everConnected = true;
                attempt = 0;
                await RunConnectionAsync(socket, stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                failure = ex;
            }
            finally
            {
                socket.Dispose();
            }

            if (stop.IsCancellationRequested)
            {
                break;
            }

            attempt++;
            var delay = Backoff(_options.ReconnectDelays, attempt);
            var wait = Task.Delay(delay, _time, stop);
            SetState(RealtimeConnectionState.Reconnecting);
            RealtimeLog.ReconnectScheduled(_logger, attempt, delay, everConnected ? null : failure);
            ReconnectScheduled?.Invoke(attempt, delay);
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        lock (_gate)
        {
            if (_runCts is not null)
            {
                // A new run was started while this one was stopping; it owns the state now.
                return;
            }
        }

        SetState(RealtimeConnectionState.Disconnected);
        RealtimeLog.Closed(_logger);
    }

    private async Task RunConnectionAsync(ClientWebSocket socket, CancellationToken stop)
    {
        using var connection = new Connection(socket);
        using var stopRegistration = stop.Register(
            static s =>
            {
                var (self, conn) = ((PhoenixSocket, Connection))s!;
                _ = self.CloseAsync(conn, "client closed");
            },
            (this, connection));
        PhoenixChannel[] channels;
        lock (_gate)
        {
            _connection = connection;
            channels = [.. _channels.Values];
        }

        using var heartbeatTimer = _time.CreateTimer(
            static s =>
            {
                var (self, conn) = ((PhoenixSocket, Connection))s!;
                self.OnHeartbeat(conn);
            },
            (this, connection),
            _options.HeartbeatInterval,
            _options.HeartbeatInterval);
        try
        {
            SetState(RealtimeConnectionState.Connected);
            RealtimeLog.Connected(_logger);
            foreach (var channel in channels)
            {
                channel.SendJoin();
            }

            await ReceiveLoopAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            PhoenixChannel[] dropped;
            TaskCompletionSource<PhoenixReply>[] pending;
            lock (_gate)
            {
                _connection = null;
                dropped = [.. _channels.Values];
                pending = [.. _pending.Values];
                _pending.Clear();
            }

            foreach (var p in pending)
            {
                p.TrySetException(new PhoenixPushException("The realtime socket disconnected.", isTimeout: false));
            }

            foreach (var channel in dropped)
            {
                channel.OnSocketDropped();
            }
        }
    }

    private async Task ReceiveLoopAsync(Connection connection)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        var socket = connection.Socket;
        var token = connection.Cancellation.Token;
        while (true)
        {
            buffer.ResetWrittenCount();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.GetMemory(8 * 1024), token).ConfigureAwait(false);
                buffer.Advance(result.Count);
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            PhoenixMessage? message;
            try
            {
                message = _serializer.Decode(buffer.WrittenSpan, result.MessageType == WebSocketMessageType.Binary);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
            {
                RealtimeLog.UndecodableFrame(_logger, ex);
                continue;
            }

            if (message is not null)
            {
                Dispatch(connection, message);
                MessageHandled?.Invoke(message);
            }
        }
    }

    private void Dispatch(Connection connection, PhoenixMessage message)
    {
        PhoenixChannel? channel;
        TaskCompletionSource<PhoenixReply>? pending = null;
        lock (_gate)
        {
            if (message.Topic == PhoenixEvents.PhoenixTopic)
            {
                if (message.Event == PhoenixEvents.Reply && message.Ref is not null && message.Ref == connection.PendingHeartbeat)
                {
                    connection.PendingHeartbeat = null;
                }

                return;
            }

            if (message.Event == PhoenixEvents.Reply && message.Ref is not null && _pending.Remove(message.Ref, out pending))
            {
                channel = null;
            }
            else
            {
                _channels.TryGetValue(message.Topic, out channel);
            }
        }

        if (pending is not null)
        {
            pending.TrySetResult(PhoenixReply.From(message.Payload));
            return;
        }

        if (channel is null)
        {
            return;
        }

        try
        {
            channel.Handle(message);
        }
#pragma warning disable CA1031 // A subscriber's exception must not kill the socket.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RealtimeLog.HandlerFailed(_logger, ex);
        }
    }

    private void OnHeartbeat(Connection connection)
    {
        string? timedOut = null;
        string reference;
        lock (_gate)
        {
            if (_connection != connection)
            {
                return;
            }

            if (connection.PendingHeartbeat is not null)
            {
                timedOut = connection.PendingHeartbeat;
                reference = string.Empty;
            }
            else
            {
                reference = MakeRef();
                connection.PendingHeartbeat = reference;
            }
        }

        if (timedOut is not null)
        {
            RealtimeLog.HeartbeatTimeout(_logger, timedOut);
            _ = CloseAsync(connection, "heartbeat timeout");
            return;
        }

        Post(new PhoenixPush(null, reference, PhoenixEvents.PhoenixTopic, PhoenixEvents.Heartbeat, []));

        // realtime-js re-reads the token on every heartbeat and pushes it when it changed.
        SetAccessToken(_options.AccessToken());
    }

    /// <summary>
    /// Sends a close frame (code 1000, like realtime-js) and lets the receive loop end on the server's close; the receive is
    /// aborted when the close was asked for by a heartbeat timeout (the server is presumed gone) or the close cannot be sent.
    /// </summary>
    private async Task CloseAsync(Connection connection, string reason)
    {
        var abort = reason != "client closed";
        try
        {
            await connection.SendLock.WaitAsync(connection.Cancellation.Token).ConfigureAwait(false);
            try
            {
                using var closeTimeout = new CancellationTokenSource(_options.PushTimeout, _time);
                await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, closeTimeout.Token).ConfigureAwait(false);
            }
            finally
            {
                connection.SendLock.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            abort = true;
        }

        if (!abort)
        {
            // Give the server the push timeout to answer the close, then give up on it.
            try
            {
                await Task.Delay(_options.PushTimeout, _time, connection.Cancellation.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }

        {
            try
            {
                await connection.Cancellation.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // The connection already ended.
            }
        }
    }

    /// <summary>Test hook: drops the current connection as a network failure would.</summary>
    internal void AbortConnection()
    {
        Connection? connection;
        lock (_gate)
        {
            connection = _connection;
        }

        connection?.Cancellation.Cancel();
    }

    internal TimeSpan Backoff(IReadOnlyList<TimeSpan> delays, int attempt)
    {
        var baseDelay = delays[Math.Clamp(attempt - 1, 0, delays.Count - 1)];
        var factor = 1 + (_options.Jitter * ((2 * _options.Random()) - 1));
        return TimeSpan.FromTicks((long)(baseDelay.Ticks * factor));
    }

    private void SetState(RealtimeConnectionState state)
    {
        lock (_stateGate)
        {
            if (_state.Value != state)
            {
                _state.OnNext(state);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        CancellationTokenSource? stop;
        PhoenixChannel[] channels;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            stop = _runCts;
            _runCts = null;
            channels = [.. _channels.Values];
            _channels.Clear();
        }

        foreach (var channel in channels)
        {
            channel.OnSocketDisposed();
        }

        if (stop is not null)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            stop.Dispose();
        }

        try
        {
            await _runTask.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        lock (_stateGate)
        {
            _state.OnCompleted();
            _state.Dispose();
        }
    }

    private sealed class Connection(ClientWebSocket socket) : IDisposable
    {
        public ClientWebSocket Socket { get; } = socket;

        public SemaphoreSlim SendLock { get; } = new(1, 1);

        public CancellationTokenSource Cancellation { get; } = new();

        public string? PendingHeartbeat { get; set; }

        public void Dispose()
        {
            Cancellation.Dispose();
            SendLock.Dispose();
        }
    }
}
