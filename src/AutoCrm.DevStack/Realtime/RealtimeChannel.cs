using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Realtime;

/// <summary>One postgres_changes binding of a channel, as echoed in the join reply.</summary>
internal sealed record PostgresBinding(
    int Id,
    string Schema,
    string? Table,
    string Event,
    IReadOnlyList<FilterCondition> Filters,
    RealtimeChannel Channel)
{
    public bool MatchesEvent(string type) => Event == "*" || string.Equals(Event, type, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A joined channel: one topic on one socket (Phoenix channel process in Realtime).</summary>
internal sealed class RealtimeChannel
{
    private RealtimeToken _token;

    public RealtimeChannel(RealtimeConnection connection, string topic, string? joinRef, RealtimeToken token, JsonObject? config)
    {
        Connection = connection;
        Topic = topic;
        SubTopic = topic["realtime:".Length..];
        JoinRef = joinRef;
        _token = token;
        var broadcast = config?["broadcast"] as JsonObject;
        BroadcastSelf = RealtimeJson.ReadFlag(broadcast?["self"]);
        BroadcastAck = RealtimeJson.ReadFlag(broadcast?["ack"]);
        var presence = config?["presence"] as JsonObject;
        PresenceEnabled = RealtimeJson.ReadFlag(presence?["enabled"]);
        var key = RealtimeJson.ReadString(presence?["key"]);
        PresenceKey = string.IsNullOrEmpty(key) ? Guid.NewGuid().ToString() : key;
    }

    public RealtimeConnection Connection { get; }

    public string Topic { get; }

    /// <summary>The topic without <c>realtime:</c>, used as <c>channel</c> in system messages.</summary>
    public string SubTopic { get; }

    public string? JoinRef { get; }

    public bool BroadcastSelf { get; }

    public bool BroadcastAck { get; }

    public bool PresenceEnabled { get; set; }

    public string PresenceKey { get; }

    /// <summary>Active postgres_changes bindings (set once the subscription is confirmed).</summary>
    public IReadOnlyList<PostgresBinding> Bindings { get; set; } = [];

    public bool IsClosed { get; private set; }

    /// <summary>The claims RLS runs with; replaced by <c>access_token</c> pushes.</summary>
    public RealtimeToken Token
    {
        get => Volatile.Read(ref _token);
        set => Volatile.Write(ref _token, value);
    }

    public ITimer? ExpiryTimer { get; set; }

    /// <summary>The state last tracked on this channel (null when untracked); guarded by the hub's lock.</summary>
    public JsonObject? PresenceTrackPayload { get; set; }

    private readonly Lock _presenceGate = new();
    private int _presenceCalls;
    private long _presenceWindowStart;
    private bool _presenceWindowOpen;

    /// <summary>
    /// Realtime's per-channel client presence limit: a window opens at the first call and allows
    /// <paramref name="maxCalls"/> calls until it has lasted <paramref name="window"/>. False = over the limit.
    /// </summary>
    public bool TryCountPresenceCall(long now, int maxCalls, TimeSpan window, TimeProvider time)
    {
        lock (_presenceGate)
        {
            if (!_presenceWindowOpen || time.GetElapsedTime(_presenceWindowStart, now) > window)
            {
                _presenceWindowOpen = true;
                _presenceWindowStart = now;
                _presenceCalls = 1;
                return true;
            }

            if (_presenceCalls >= maxCalls)
            {
                return false;
            }

            _presenceCalls++;
            return true;
        }
    }

    public void MarkClosed()
    {
        IsClosed = true;
        ExpiryTimer?.Dispose();
    }

    public void Send(string @event, JsonNode? payload, string? @ref = null) =>
        Connection.Send(Connection.Serializer.Encode(JoinRef, @ref, Topic, @event, payload));

    public void SendRaw(string @event, ReadOnlySpan<byte> payloadJson) =>
        Connection.Send(Connection.Serializer.EncodeRaw(JoinRef, null, Topic, @event, payloadJson));

    public void SendSystem(string extension, string status, string message) =>
        Send("system", new JsonObject
        {
            ["extension"] = extension,
            ["status"] = status,
            ["message"] = message,
            ["channel"] = SubTopic,
        });

    /// <summary>Server-side stop: Phoenix's phx_close carries the join ref as ref (docs/protocols.md#framing).</summary>
    public void SendClose() => Send("phx_close", new JsonObject(), JoinRef);
}
