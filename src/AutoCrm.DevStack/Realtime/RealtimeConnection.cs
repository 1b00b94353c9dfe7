using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// One client websocket: a receive loop that runs the channel protocol, and a send loop draining a bounded
/// buffer. A full buffer never drops a frame silently: the client gets the frames queued so far, then a system
/// error on each channel, then the socket closes (docs/protocols.md#realtime; a slow consumer is cut off rather than buffered without bound).
/// </summary>
internal sealed class RealtimeConnection : IAsyncDisposable
{
    private static readonly TimeSpan ConfirmTokenInterval = TimeSpan.FromMinutes(5);

    private readonly WebSocket _socket;
    private readonly RealtimeHub _hub;
    private readonly RealtimeService _service;
    private readonly RealtimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<OutboundFrame> _outbox;
    private readonly CancellationTokenSource _lifetime;
    private readonly Dictionary<string, RealtimeChannel> _channels = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly ITimer _idleTimer;
    private ITimer? _closeTimer;
    private bool _closing;
    private bool _overflowed;

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
        _outbox = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(_options.SendBufferFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        _idleTimer = _time.CreateTimer(_ => RequestClose(WebSocketCloseStatus.NormalClosure, "heartbeat timeout"), null, _options.IdleTimeout, Timeout.InfiniteTimeSpan);
    }

    public PhoenixSerializer Serializer { get; }

    public RealtimeToken SocketToken { get; }

    /// <summary>Queues a frame; when the buffer is full the socket is failed as a slow consumer.</summary>
    public void Send(OutboundFrame frame)
    {
        if (_outbox.Writer.TryWrite(frame))
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

        if (!_outbox.Writer.TryWrite(new OutboundFrame(Encoding.UTF8.GetBytes(description), WebSocketMessageType.Close, status)))
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
            RealtimeChannel[] channels;
            lock (_gate)
            {
                channels = [.. _channels.Values];
                _channels.Clear();
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
            await foreach (var frame in _outbox.Reader.ReadAllAsync(ct))
            {
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
                RealtimeChannel[] channels;
                lock (_gate)
                {
                    channels = [.. _channels.Values];
                }

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
            await JoinAsync(message, ct);
            return;
        }

        RealtimeChannel? channel;
        lock (_gate)
        {
            _channels.TryGetValue(message.Topic, out channel);
        }

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
                HandleBroadcast(channel, message);
                break;
            case "presence":
                HandlePresence(channel, message);
                break;
            case "access_token":
                HandleAccessToken(channel, message);
                break;
            default:
                // Realtime's catch-all handle_in counts and logs an unexpected event and sends nothing back.
                RealtimeLog.UnexpectedEvent(_logger, message.Event);
                break;
        }
    }

    private async Task JoinAsync(PhoenixMessage message, CancellationToken ct)
    {
        if (!message.Topic.StartsWith("realtime:", StringComparison.Ordinal))
        {
            Reply(message, "error", new JsonObject { ["reason"] = "unmatched topic" });
            return;
        }

        if (message.Topic == "realtime:")
        {
            JoinError(message, "TopicNameRequired: You must provide a topic name");
            return;
        }

        if (message.Payload is not JsonObject payload)
        {
            JoinError(message, "UnknownErrorOnChannel: the join payload must be a JSON object");
            return;
        }

        var config = payload["config"] as JsonObject;
        if (payload["config"] is not null and not JsonObject)
        {
            JoinError(message, "UnknownErrorOnChannel: `config` must be a JSON object");
            return;
        }

        if (RealtimeJson.ReadFlag(config?["private"]))
        {
            JoinError(message, "PrivateChannelsNotSupported: private channels (config.private = true) need RLS policies on realtime.messages, which the AutoCRM DevStack does not implement; join with private: false");
            return;
        }

        var tokenText = RealtimeJson.ReadString(payload["user_token"]) ?? RealtimeJson.ReadString(payload["access_token"]);
        var check = string.IsNullOrEmpty(tokenText) || tokenText.StartsWith("sb_", StringComparison.Ordinal)
            ? new RealtimeTokenCheck(SocketToken, RealtimeTokenError.None, "")
            : _service.Verifier.Verify(tokenText);
        if (!check.IsValid)
        {
            JoinError(message, check.JoinReason);
            return;
        }

        var requested = config?["postgres_changes"] as JsonArray ?? [];
        if (config?["postgres_changes"] is not null and not JsonArray || requested.Any(e => e is not JsonObject))
        {
            JoinError(message, "UnknownErrorOnChannel: `postgres_changes` must be a list of objects");
            return;
        }

        var channel = new RealtimeChannel(this, message.Topic, message.JoinRef, check.Token!, config);
        RealtimeChannel? previous;
        lock (_gate)
        {
            _channels.Remove(message.Topic, out previous);
            _channels[message.Topic] = channel;
        }

        if (previous is not null)
        {
            // Rejoining replaces the old channel (docs/protocols.md#joining-a-channel).
            _hub.RemoveChannel(previous);
            previous.SendClose();
        }

        _hub.AddChannel(channel);
        ScheduleExpiry(channel);

        var echoed = new JsonArray();
        foreach (var entry in requested.Cast<JsonObject>())
        {
            var copy = new JsonObject { ["id"] = BindingId(entry) };
            foreach (var (key, value) in entry)
            {
                if (key != "id")
                {
                    copy[key] = value?.DeepClone();
                }
            }

            echoed.Add(copy);
        }

        Reply(message, "ok", new JsonObject { ["postgres_changes"] = echoed });

        if (channel.PresenceEnabled)
        {
            channel.Send("presence_state", _hub.PresenceState(channel.Topic));
        }

        if (echoed.Count > 0)
        {
            await SubscribePostgresAsync(channel, echoed, ct);
        }
    }

    private async Task SubscribePostgresAsync(RealtimeChannel channel, JsonArray echoed, CancellationToken ct)
    {
        var bindings = new List<PostgresBinding>();
        var specs = new List<(JsonObject Entry, PostgresBinding Binding)>();
        foreach (var entry in echoed.Cast<JsonObject>())
        {
            var schema = RealtimeJson.ReadString(entry["schema"]);
            var table = RealtimeJson.ReadString(entry["table"]);
            var @event = RealtimeJson.ReadString(entry["event"]) ?? "*";
            var filter = RealtimeJson.ReadString(entry["filter"]);
            if (string.IsNullOrEmpty(schema))
            {
                channel.SendSystem("postgres_changes", "error", "Error parsing `schema` params: a schema is required, e.g. \"public\"");
                return;
            }

            if (@event is not "*" && !(@event.Equals("INSERT", StringComparison.OrdinalIgnoreCase) || @event.Equals("UPDATE", StringComparison.OrdinalIgnoreCase) || @event.Equals("DELETE", StringComparison.OrdinalIgnoreCase)))
            {
                channel.SendSystem("postgres_changes", "error", $"Error parsing `event` params: `{@event}` is not one of *, INSERT, UPDATE, DELETE");
                return;
            }

            IReadOnlyList<FilterCondition> filters = [];
            if (!string.IsNullOrEmpty(filter))
            {
                try
                {
                    filters = FilterCondition.ParseAll(filter);
                }
                catch (FormatException ex)
                {
                    channel.SendSystem("postgres_changes", "error", "Error parsing `filter` params: " + ex.Message);
                    return;
                }
            }

            var binding = new PostgresBinding(entry["id"]!.GetValue<int>(), schema, table is null or "*" ? null : table, @event, filters, channel);
            bindings.Add(binding);
            specs.Add((entry, binding));
        }

        string? error;
        try
        {
            error = await _service.Catalog.ValidateAsync(bindings, ct);
            if (error is null)
            {
                error = await _service.WaitForReplicationAsync(ct);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            error = "Unable to subscribe to changes with given parameters. " + ex.Message;
        }

        if (error is not null)
        {
            channel.SendSystem("postgres_changes", "error", error);
            return;
        }

        _hub.ActivateBindings(channel, bindings);
        if (!channel.IsClosed)
        {
            channel.SendSystem("postgres_changes", "ok", "Subscribed to PostgreSQL");
        }
    }

    private void FailChannel(PhoenixMessage message)
    {
        RealtimeChannel? channel;
        lock (_gate)
        {
            if (_channels.Remove(message.Topic, out channel))
            {
                _hub.RemoveChannel(channel);
            }
        }

        if (channel is not null)
        {
            channel.Send("phx_error", new JsonObject(), channel.JoinRef);
        }
        else
        {
            Reply(message, "error", new JsonObject { ["reason"] = "UnknownErrorOnChannel: the server failed to handle this message" });
        }
    }

    private void Leave(RealtimeChannel channel, PhoenixMessage message)
    {
        lock (_gate)
        {
            if (_channels.TryGetValue(channel.Topic, out var current) && current == channel)
            {
                _channels.Remove(channel.Topic);
            }
        }

        _hub.RemoveChannel(channel);
        Reply(message, "ok", new JsonObject());
        channel.SendClose();
    }

    /// <summary>Stops a channel from the server side: system error first, then phx_close (docs/protocols.md#system-messages, docs/protocols.md#token-refresh-on-a-socket).</summary>
    /// <summary>Closes a channel from outside (the change dispatcher): system error, then phx_close.</summary>
    public void CloseWithError(RealtimeChannel channel, string reason) => Shutdown(channel, reason);

    private void Shutdown(RealtimeChannel channel, string reason)
    {
        lock (_gate)
        {
            if (!_channels.TryGetValue(channel.Topic, out var current) || current != channel)
            {
                return;
            }

            _channels.Remove(channel.Topic);
        }

        _hub.RemoveChannel(channel);
        channel.SendSystem("system", "error", reason);
        channel.SendClose();
    }

    private void HandleBroadcast(RealtimeChannel channel, PhoenixMessage message)
    {
        // Realtime's BroadcastHandler relays whatever payload the push carries (an object without `event`, an
        // array, a string, null): it neither validates nor answers with an error, it only checks the size.
        var payload = message.Payload;

        // Realtime's validate_payload_size (tenant max_payload_size_in_kb): an oversized broadcast reaches no one;
        // with ack the sender is told, without ack it is dropped silently.
        var size = message.BinaryPayload?.Length ?? 0;
        size += message.BinaryPayload is null ? PhoenixSerializer.SerializePayload(payload).Length : 0;
        if (size > _options.MaxPayloadBytes)
        {
            RealtimeLog.PayloadTooLarge(_logger, "broadcast", size, _options.MaxPayloadBytes);
            if (channel.BroadcastAck)
            {
                Reply(message, "error", JsonValue.Create("payload_size_exceeded"));
            }

            return;
        }

        _hub.Broadcast(channel.Topic, payload, message.BinaryPayload, channel);
        if (channel.BroadcastAck)
        {
            Reply(message, "ok", new JsonObject());
        }
    }

    /// <summary>
    /// Presence pushes as Realtime's PresenceHandler handles them: a payload without <c>event</c> is a no-op; every
    /// other push counts against the channel's client rate limit (5 per 30 s by default; over it the channel is shut
    /// down with a system error); a track larger than the payload limit shuts the channel down; re-tracking the same
    /// state changes nothing; an unknown presence event gets an error reply.
    /// </summary>
    private void HandlePresence(RealtimeChannel channel, PhoenixMessage message)
    {
        var payload = message.Payload as JsonObject;
        var presenceEvent = RealtimeJson.ReadString(payload?["event"]);
        if (presenceEvent is null)
        {
            Reply(message, "ok", new JsonObject());
            return;
        }

        if (!channel.TryCountPresenceCall(_time.GetTimestamp(), _options.ClientPresenceMaxCalls, _options.ClientPresenceWindow, _time))
        {
            RealtimeLog.PresenceRateLimited(_logger, channel.Topic);
            Shutdown(channel, "Client presence rate limit exceeded");
            return;
        }

        switch (presenceEvent.ToLowerInvariant())
        {
            case "track":
                if (payload!["payload"] is not JsonObject state)
                {
                    Reply(message, "error", new JsonObject { ["reason"] = "Presence track payload must be a map" });
                    return;
                }

                var size = PhoenixSerializer.SerializePayload(state).Length;
                if (size > _options.MaxPayloadBytes)
                {
                    RealtimeLog.PayloadTooLarge(_logger, "presence track", size, _options.MaxPayloadBytes);
                    Shutdown(channel, "Track message size exceeded");
                    return;
                }

                // Phoenix answers the push before the tracker's diff goes out.
                Reply(message, "ok", new JsonObject());
                _hub.Track(channel, state);
                break;
            case "untrack":
                Reply(message, "ok", new JsonObject());
                _hub.Untrack(channel);
                break;
            default:
                Reply(message, "error", new JsonObject());
                break;
        }
    }

    private void HandleAccessToken(RealtimeChannel channel, PhoenixMessage message)
    {
        var token = RealtimeJson.ReadString((message.Payload as JsonObject)?["access_token"]);
        if (token is null || token == channel.Token.Raw)
        {
            return;
        }

        var check = token.StartsWith("sb_", StringComparison.Ordinal)
            ? new RealtimeTokenCheck(SocketToken, RealtimeTokenError.None, "")
            : _service.Verifier.Verify(token);
        if (!check.IsValid)
        {
            Shutdown(channel, check.Message);
            return;
        }

        channel.Token = check.Token!;
        ScheduleExpiry(channel);
    }

    /// <summary>Re-checks the channel's token every min(5 min, time to exp), as Realtime's confirm_token does.</summary>
    private void ScheduleExpiry(RealtimeChannel channel)
    {
        var token = channel.Token;
        var due = DateTimeOffset.FromUnixTimeSeconds(token.Exp) - _time.GetUtcNow();
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due > ConfirmTokenInterval ? ConfirmTokenInterval : due;
        channel.ExpiryTimer?.Dispose();
        channel.ExpiryTimer = _time.CreateTimer(
            _ =>
            {
                if (channel.Token != token || channel.IsClosed)
                {
                    return;
                }

                var check = HmacRealtimeTokenVerifier.CheckClaims(token.Raw, token.Claims, _time);
                if (check.IsValid)
                {
                    ScheduleExpiry(channel);
                }
                else
                {
                    Shutdown(channel, check.Message);
                }
            },
            null,
            due,
            Timeout.InfiniteTimeSpan);
    }

    private void Reply(PhoenixMessage message, string status, JsonNode response) =>
        Send(Serializer.Encode(message.JoinRef, message.Ref, message.Topic, "phx_reply", new JsonObject
        {
            ["status"] = status,
            ["response"] = response,
        }));

    private void JoinError(PhoenixMessage message, string reason) =>
        Reply(message, "error", new JsonObject { ["reason"] = reason });

    /// <summary>A 27-bit id derived from the binding, like Realtime's :erlang.phash2 of the params.</summary>
    internal static int BindingId(JsonObject entry)
    {
        var canonical = new StringBuilder();
        foreach (var (key, value) in entry.Where(p => p.Key != "id").OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            canonical.Append(key).Append('\u0001').Append(value?.ToJsonString()).Append('\u0002');
        }

        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(canonical.ToString()))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash & 0x7FFFFFF);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

}
