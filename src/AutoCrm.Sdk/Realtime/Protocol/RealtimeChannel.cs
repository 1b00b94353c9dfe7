using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>What a <see cref="RealtimeChannel"/> joins with.</summary>
internal sealed record RealtimeChannelConfig
{
    public IReadOnlyList<PostgresChangesBinding> PostgresChanges { get; init; } = [];

    public bool Presence { get; init; }

    public string PresenceKey { get; init; } = "";

    /// <summary>When set, the presence key is read at every join (e.g. the user id, known once the token is).</summary>
    public Func<string>? PresenceKeyProvider { get; init; }

    public bool BroadcastSelf { get; init; }

    public bool BroadcastAck { get; init; }

    public bool Private { get; init; }

    public JsonObject ToJson()
    {
        var changes = new JsonArray();
        foreach (var b in PostgresChanges)
        {
            var entry = new JsonObject { ["event"] = b.Event, ["schema"] = b.Schema };
            if (b.Table is not null)
            {
                entry["table"] = b.Table;
            }

            if (b.Filter is not null)
            {
                entry["filter"] = b.Filter;
            }

            changes.Add((JsonNode)entry);
        }

        return new JsonObject
        {
            ["broadcast"] = new JsonObject { ["ack"] = BroadcastAck, ["self"] = BroadcastSelf },
            ["presence"] = new JsonObject { ["key"] = PresenceKeyProvider?.Invoke() ?? PresenceKey, ["enabled"] = Presence },
            ["postgres_changes"] = changes,
            ["private"] = Private,
        };
    }
}

/// <summary>
/// A Supabase Realtime channel on top of <see cref="PhoenixChannel"/>: routes <c>postgres_changes</c> to bindings by the ids of
/// the join reply, surfaces broadcasts and presence, and reports the lifecycle to its owner.
/// </summary>
internal sealed class RealtimeChannel : IPhoenixChannelHandler
{
    private readonly PhoenixSocket _socket;
    private readonly PhoenixChannel _channel;
    private readonly RealtimeChannelConfig _config;
    private readonly Action<PostgresChangesBinding, PostgresChange>? _onChange;

    /// <summary>Scratch list of a message's binding ids (messages are routed one at a time, on the receive loop).</summary>
    private List<long>? _ids;

    public RealtimeChannel(PhoenixSocket socket, string topic, RealtimeChannelConfig config, Action<PostgresChangesBinding, PostgresChange>? onChange = null)
    {
        _socket = socket;
        _config = config;
        _onChange = onChange;
        _channel = socket.Channel(topic, config.ToJson, this);
    }

    public string Topic => _channel.Topic;

    public ChannelState State => _channel.State;

    public IReadOnlyList<PostgresChangesBinding> Bindings => _config.PostgresChanges;

    /// <summary>Called after every successful (re)join, once binding ids are known.</summary>
    public Action? Joined { get; init; }

    /// <summary>Called when the channel lost its join and will rejoin.</summary>
    public Action? Errored { get; init; }

    /// <summary>Called when the server closed the channel for good (reason: the last system error, if any).</summary>
    public Action<string?>? Closed { get; init; }

    /// <summary>Called with the reason when a join is refused (the channel keeps retrying).</summary>
    public Action<string>? JoinFailed { get; init; }

    /// <summary>Called when the server's bindings do not match the requested ones (terminal).</summary>
    public Action<string>? BindingMismatch { get; init; }

    /// <summary>Called for each broadcast: the user event and the whole payload (<c>{type, event, payload, meta?}</c>).</summary>
    public Action<string, JsonElement>? Broadcast { get; init; }

    public Action<IReadOnlyDictionary<string, IReadOnlyList<JsonElement>>>? PresenceChanged { get; init; }

    /// <summary>Called for <c>system</c> messages (extension, status and message).</summary>
    public Action<string, string, string?>? SystemMessage { get; init; }

    public void Subscribe() => _channel.Subscribe();

    public Task LeaveAsync(CancellationToken cancellationToken = default) => _channel.LeaveAsync(cancellationToken);

    /// <summary>Treats the channel as errored and rejoins it with backoff (e.g. the server could not set up its database subscription).</summary>
    public void Rejoin() => _channel.Rejoin();

    /// <summary>Sends a broadcast; with <c>broadcast.ack</c> it waits for the server's reply.</summary>
    public async Task BroadcastAsync(string @event, JsonNode? payload, CancellationToken cancellationToken = default)
    {
        var push = new JsonObject { ["type"] = "broadcast", ["event"] = @event, ["payload"] = payload };
        if (_config.BroadcastAck)
        {
            var reply = await _channel.RequestAsync(PhoenixEvents.Broadcast, push, cancellationToken).ConfigureAwait(false);
            if (!reply.IsOk)
            {
                throw new PhoenixPushException(reply.Reason, isTimeout: false);
            }
        }
        else if (!await _channel.SendAsync(PhoenixEvents.Broadcast, push, cancellationToken).ConfigureAwait(false))
        {
            throw new PhoenixPushException($"Channel {Topic} is not joined.", isTimeout: false);
        }
    }

    /// <summary>Tracks (or updates) this client's presence meta on the channel.</summary>
    public async Task TrackAsync(JsonObject meta, CancellationToken cancellationToken = default)
    {
        var reply = await _channel.RequestAsync(
            PhoenixEvents.Presence,
            new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = meta },
            cancellationToken).ConfigureAwait(false);
        if (!reply.IsOk)
        {
            throw new PhoenixPushException(reply.Reason, isTimeout: false);
        }
    }

    public async Task UntrackAsync(CancellationToken cancellationToken = default)
    {
        var reply = await _channel.RequestAsync(
            PhoenixEvents.Presence,
            new JsonObject { ["type"] = "presence", ["event"] = "untrack" },
            cancellationToken).ConfigureAwait(false);
        if (!reply.IsOk)
        {
            throw new PhoenixPushException(reply.Reason, isTimeout: false);
        }
    }

    void IPhoenixChannelHandler.OnJoined(JsonElement response)
    {
        var bindings = _config.PostgresChanges;
        if (bindings.Count > 0)
        {
            var server = response.ValueKind == JsonValueKind.Object && response.TryGetProperty("postgres_changes", out var list) && list.ValueKind == JsonValueKind.Array
                ? list
                : default;
            var serverCount = server.ValueKind == JsonValueKind.Array ? server.GetArrayLength() : 0;
            if (serverCount != bindings.Count)
            {
                BindingMismatch?.Invoke("mismatch between server and client bindings for postgres changes");
                return;
            }

            var i = 0;
            foreach (var entry in server.EnumerateArray())
            {
                var binding = bindings[i++];
                if (!Matches(entry, "event", binding.Event) || !Matches(entry, "schema", binding.Schema)
                    || !Matches(entry, "table", binding.Table) || !Matches(entry, "filter", binding.Filter)
                    || !entry.TryGetProperty("id", out var id) || !id.TryGetInt64(out var idValue))
                {
                    BindingMismatch?.Invoke("mismatch between server and client bindings for postgres changes");
                    return;
                }

                binding.Id = idValue;
            }
        }

        Joined?.Invoke();
    }

    private static bool Matches(JsonElement entry, string name, string? expected)
    {
        if (!entry.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return expected is null;
        }

        return expected is not null && value.ValueKind == JsonValueKind.String && value.ValueEquals(expected);
    }

    void IPhoenixChannelHandler.OnJoinFailed(string reason) => JoinFailed?.Invoke(reason);

    void IPhoenixChannelHandler.OnErrored() => Errored?.Invoke();

    void IPhoenixChannelHandler.OnClosed(string? reason) => Closed?.Invoke(reason);

    void IPhoenixChannelHandler.OnPresence(IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> state) => PresenceChanged?.Invoke(state);

    void IPhoenixChannelHandler.OnMessage(PhoenixMessage message)
    {
        switch (message.Event)
        {
            case PhoenixEvents.PostgresChanges:
                RoutePostgresChange(message.RawPayload.IsEmpty
                    ? System.Text.Encoding.UTF8.GetBytes(message.Payload.ValueKind == JsonValueKind.Undefined ? "null" : message.Payload.GetRawText())
                    : message.RawPayload);
                break;
            case PhoenixEvents.Broadcast:
                if (Broadcast is not null && message.Payload.ValueKind == JsonValueKind.Object
                    && message.Payload.TryGetProperty("event", out var e) && e.ValueKind == JsonValueKind.String)
                {
                    Broadcast(e.GetString()!, message.Payload);
                }

                break;
            case PhoenixEvents.System:
                if (SystemMessage is not null && message.Payload.ValueKind == JsonValueKind.Object)
                {
                    var extension = message.Payload.TryGetProperty("extension", out var x) && x.ValueKind == JsonValueKind.String ? x.GetString() ?? "" : "";
                    var status = message.Payload.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() ?? "" : "";
                    var text = message.Payload.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    SystemMessage(extension, status, text);
                }

                break;
        }
    }

    /// <summary>Routes one postgres_changes payload (<c>{ids, data}</c>, UTF-8 JSON) to the bindings whose id it names.</summary>
    internal void RoutePostgresChange(ReadOnlyMemory<byte> payload)
    {
        if (_onChange is null)
        {
            return;
        }

        var ids = _ids ??= new List<long>(4);
        ids.Clear();
        PostgresChange change;
        try
        {
            if (!PostgresChange.TryParse(payload, ids, out change))
            {
                return;
            }
        }
        catch (JsonException ex)
        {
            // The vsn 2.0.0 decoder hands the payload over unvalidated (one pass instead of two); a malformed one is
            // ignored here as the socket ignores any other undecodable frame.
            RealtimeLog.UndecodableFrame(_socket.Logger, ex);
            return;
        }

        foreach (var binding in _config.PostgresChanges)
        {
            if (binding.Id is { } bindingId && ids.Contains(bindingId) && binding.Accepts(change.Type))
            {
                _onChange(binding, change);
            }
        }
    }
}
