using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// One client websocket: a receive loop that runs the channel protocol (joins: <see cref="ChannelJoiner"/>; broadcast,
/// presence and token pushes: <see cref="ChannelPushes"/>), and a send loop draining a bounded buffer. The send loop also
/// finishes the filtering of changes queued with conditions left (<see cref="PendingChange"/>), within the socket's filter
/// work budget per change, so that work is this subscriber's alone. A full buffer never drops a frame silently: the client
/// gets the frames queued so far, then a system error on each channel, then the socket closes (a slow consumer).
/// </summary>
internal sealed class RealtimeConnection : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly RealtimeHub _hub;
    private readonly RealtimeService _service;
    private readonly RealtimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Outbound> _outbox;
    private readonly CancellationTokenSource _lifetime;
    private readonly ChannelRegistry _channels = new();
    private readonly Lock _gate = new();
    private readonly ITimer _idleTimer;
    private readonly ChannelJoiner _joiner;
    private readonly ChannelPushes _pushes;
    private ITimer? _closeTimer;
    private bool _closing;
    private bool _overflowed;
    private readonly SocketFilterBudget _budget;

    public RealtimeConnection(
        WebSocket socket,
        PhoenixSerializer serializer,
        RealtimeToken socketToken,
        RealtimeService service,
        CancellationToken requestAborted)
    {
        _socket = socket;
        Serializer = serializer;
        SocketToken = socketToken;
        _service = service;
        _hub = service.Hub;
        _options = service.Options;
        _time = service.TimeProvider;
        _logger = service.Logger;
        _outbox = Channel.CreateBounded<Outbound>(new BoundedChannelOptions(_options.SendBufferFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        _idleTimer = _time.CreateTimer(_ => RequestClose(WebSocketCloseStatus.NormalClosure, "heartbeat timeout"), null, _options.IdleTimeout, Timeout.InfiniteTimeSpan);
        _budget = new SocketFilterBudget(_options.Limits.MaxFilterWorkPerChange);
        _joiner = new ChannelJoiner(this, service);
        _pushes = new ChannelPushes(this, service);
    }

    public PhoenixSerializer Serializer { get; }

    public RealtimeToken SocketToken { get; }

    /// <summary>Queues a frame; when the buffer is full the socket is failed as a slow consumer.</summary>
    public void Send(OutboundFrame frame) => Enqueue(new Outbound(frame, null));

    /// <summary>Queues a change whose remaining conditions the send loop evaluates (see <see cref="PendingChange"/>).</summary>
    public void Send(PendingChange change) => Enqueue(new Outbound(default, change));

    private void Enqueue(Outbound item)
    {
        if (_outbox.Writer.TryWrite(item))
        {
            return;
        }

        lock (_gate)
        {
            if (_closing || _overflowed)
            {
                return;
            }

            _overflowed = true;
            _closing = true;
        }

        RealtimeLog.Overflow(_logger, _options.SendBufferFrames);
        _outbox.Writer.TryComplete();
        StartCloseTimer();
    }

    /// <summary>Closes abruptly (no close handshake): what a dropped network looks like to the client.</summary>
    public void Abort()
    {
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the connection already finished
        }

        _socket.Abort();
    }

    /// <summary>Queues a close frame after everything already queued.</summary>
    public void RequestClose(WebSocketCloseStatus status, string description)
    {
        lock (_gate)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
        }

        if (!_outbox.Writer.TryWrite(new Outbound(new OutboundFrame(Encoding.UTF8.GetBytes(description), WebSocketMessageType.Close, status), null)))
        {
            Abort();
            return;
        }

        _outbox.Writer.TryComplete();
        StartCloseTimer();
    }

    public async Task RunAsync()
    {
        _hub.AddConnection(this);
        var sendLoop = Task.Run(SendLoopAsync);
        try
        {
            await ReceiveLoopAsync(_lifetime.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            RealtimeLog.SocketClosed(_logger, ex.Message);
        }
        catch (Exception ex)
        {
            RealtimeLog.SocketFailed(_logger, ex);
            _socket.Abort();
        }
        finally
        {
            _hub.RemoveConnection(this);
            var channels = _channels.RemoveAll();
            lock (_gate)
            {
                _closing = true;
            }

            foreach (var channel in channels)
            {
                _hub.RemoveChannel(channel);
            }

            _outbox.Writer.TryComplete();
            _idleTimer.Dispose();
            try
            {
                await sendLoop.WaitAsync(_options.CloseTimeout, _time);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or WebSocketException)
            {
                _socket.Abort();
            }

            await _lifetime.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _idleTimer.Dispose();
        _closeTimer?.Dispose();
        _lifetime.Dispose();
        await ValueTask.CompletedTask;
    }

    private void StartCloseTimer() =>
        _closeTimer = _time.CreateTimer(_ => Abort(), null, _options.CloseTimeout, Timeout.InfiniteTimeSpan);

    private async Task SendLoopAsync()
    {
        var ct = _lifetime.Token;
        try
        {
            await foreach (var item in _outbox.Reader.ReadAllAsync(ct))
            {
                OutboundFrame frame;
                if (item.Pending is { } pending)
                {
                    if (Finish(pending) is not { } finished)
                    {
                        continue;
                    }

                    frame = finished;
                }
                else
                {
                    frame = item.Frame;
                }

                if (frame.Type == WebSocketMessageType.Close)
                {
                    await _socket.CloseOutputAsync(frame.CloseStatus, Encoding.UTF8.GetString(frame.Data), ct);
                    return;
                }

                await _socket.SendAsync(frame.Data, frame.Type, endOfMessage: true, ct);
            }

            bool overflowed;
            lock (_gate)
            {
                overflowed = _overflowed;
            }

            if (overflowed)
            {
                var channels = _channels.Snapshot();

                var message = $"Too many messages buffered for this client (send buffer of {_options.SendBufferFrames} frames is full); disconnecting";
                foreach (var channel in channels)
                {
                    var frame = Serializer.Encode(channel.JoinRef, null, channel.Topic, "system", new JsonObject
                    {
                        ["extension"] = "system",
                        ["status"] = "error",
                        ["message"] = message,
                        ["channel"] = channel.SubTopic,
                    });
                    await _socket.SendAsync(frame.Data, frame.Type, endOfMessage: true, ct);
                }

                await _socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "slow consumer", ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            _socket.Abort();
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= _options.MaxFrameBytes)
                        {
                            RealtimeLog.InvalidFrame(_logger, "frame larger than " + _options.MaxFrameBytes + " bytes");
                            RequestClose(WebSocketCloseStatus.MessageTooBig, "frame too large");
                            await DrainUntilClosedAsync(buffer, ct);
                            return;
                        }

                        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxFrameBytes));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), ct);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    RequestClose(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }

                _idleTimer.Change(_options.IdleTimeout, Timeout.InfiniteTimeSpan);

                PhoenixMessage message;
                try
                {
                    message = Serializer.Decode(buffer.AsSpan(0, length), result.MessageType);
                }
                catch (PhoenixFrameException ex)
                {
                    // Phoenix cannot route a frame it cannot decode; the socket is closed, others are unaffected.
                    RealtimeLog.InvalidFrame(_logger, ex.Message);
                    RequestClose(WebSocketCloseStatus.InvalidPayloadData, Truncate(ex.Message, 120));
                    await DrainUntilClosedAsync(buffer, ct);
                    return;
                }

                try
                {
                    await HandleAsync(message, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not WebSocketException)
                {
                    // A failing push crashes that channel (phx_error, the client rejoins), never the socket.
                    RealtimeLog.SocketFailed(_logger, ex);
                    FailChannel(message);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>After a server-initiated close, reads until the client's close frame (or the abort timer).</summary>
    private async Task DrainUntilClosedAsync(byte[] buffer, CancellationToken ct)
    {
        while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var result = await _socket.ReceiveAsync(buffer.AsMemory(), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    private async Task HandleAsync(PhoenixMessage message, CancellationToken ct)
    {
        if (message.Topic == "phoenix")
        {
            if (message.Event == "heartbeat")
            {
                Reply(message, "ok", new JsonObject());
            }
            else
            {
                Reply(message, "error", new JsonObject { ["reason"] = "unmatched topic" });
            }

            return;
        }

        if (message.Event == "phx_join")
        {
            await _joiner.JoinAsync(message, ct);
            return;
        }

        var channel = _channels.Find(message.Topic);
        if (channel is null)
        {
            Reply(message, "error", new JsonObject { ["reason"] = "unmatched topic" });
            return;
        }

        switch (message.Event)
        {
            case "phx_leave":
                Leave(channel, message);
                break;
            case "broadcast":
                await _pushes.BroadcastAsync(channel, message, ct);
                break;
            case "presence":
                await _pushes.PresenceAsync(channel, message, ct);
                break;
            case "access_token":
                await _pushes.AccessTokenAsync(channel, message, ct);
                break;
            default:
                // Realtime's catch-all handle_in counts and logs an unexpected event and sends nothing back.
                RealtimeLog.UnexpectedEvent(_logger, message.Event);
                break;
        }
    }

    private void FailChannel(PhoenixMessage message)
    {
        var channel = _channels.Remove(message.Topic);
        if (channel is not null)
        {
            _hub.RemoveChannel(channel);
            channel.Send("phx_error", new JsonObject(), channel.JoinRef);
        }
        else
        {
            Reply(message, "error", new JsonObject { ["reason"] = "UnknownErrorOnChannel: the server failed to handle this message" });
        }
    }

    private void Leave(RealtimeChannel channel, PhoenixMessage message)
    {
        _channels.Remove(channel);
        _hub.RemoveChannel(channel);
        Reply(message, "ok", new JsonObject());
        channel.SendClose();
    }

    /// <summary>The channels joined on this socket.</summary>
    public int ChannelCount => _channels.Count;

    /// <summary>Whether <paramref name="topic"/> is joined on this socket (a join of it replaces that channel).</summary>
    public bool HasChannel(string topic) => _channels.Contains(topic);

    /// <summary>Makes <paramref name="channel"/> the socket's channel of its topic; a channel it replaces is closed (a rejoin).</summary>
    public void Register(RealtimeChannel channel)
    {
        if (_channels.Replace(channel) is { } previous)
        {
            _hub.RemoveChannel(previous);
            previous.SendClose();
        }

        _hub.AddChannel(channel);
        _pushes.ScheduleExpiry(channel);
    }

    /// <summary>Closes a channel from the server side (or the change dispatcher): system error first, then phx_close.</summary>
    public void CloseWithError(RealtimeChannel channel, string reason) => Shutdown(channel, reason);

    private void Shutdown(RealtimeChannel channel, string reason)
    {
        if (!_channels.Remove(channel))
        {
            return;
        }

        _hub.RemoveChannel(channel);
        channel.SendSystem("system", "error", reason);
        channel.SendClose();
    }

    public void Reply(PhoenixMessage message, string status, JsonNode response) =>
        Send(Serializer.Encode(message.JoinRef, message.Ref, message.Topic, "phx_reply", new JsonObject
        {
            ["status"] = status,
            ["response"] = response,
        }));

    public void JoinError(PhoenixMessage message, string reason) =>
        Reply(message, "error", new JsonObject { ["reason"] = reason });

    /// <summary>
    /// Finishes a change queued with conditions left: evaluates them within this socket's filter work budget for that change
    /// and encodes the frame for the bindings that match (null: nothing to send). When the budget runs out, the channel is
    /// closed with a system error instead of silently missing the change.
    /// </summary>
    private OutboundFrame? Finish(PendingChange pending)
    {
        var channel = pending.Channel;
        if (channel.IsClosed)
        {
            return null;
        }

        _service.FilterWorkHook?.Invoke(channel);
        var ids = _budget.Evaluate(pending);
        if (ids is null)
        {
            var limit = _budget.PerChange;
            RealtimeLog.LimitReached(_logger, $"filter work per change ({limit} steps) on {channel.Topic}");
            Shutdown(channel, FilterWorkExceeded(limit));
            return null;
        }

        return ids.Count == 0 ? null : Serializer.EncodeChange(channel.JoinRef, channel.Topic, ids, pending.Data);
    }

    /// <summary>The system error of a channel closed because one change needed more filter work than the socket may use.</summary>
    internal static string FilterWorkExceeded(long limit) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Too much filter work for one change on this connection (more than {limit} steps); the channel was closed. Use fewer or simpler filters");

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    /// <summary>An item of the send buffer: an encoded frame, or a change still to be filtered.</summary>
    private readonly record struct Outbound(OutboundFrame Frame, PendingChange? Pending);
}
