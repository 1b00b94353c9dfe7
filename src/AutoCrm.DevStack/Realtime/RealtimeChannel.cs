using System.Text.Json.Nodes;
using AutoCrm.DevStack.Realtime.Filters;

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
    /// <summary>The condition the change dispatcher checks before row-level security: the first positive eq or in, on a
    /// binding of one table (its values are parsed for the column's type when the binding is validated).</summary>
    public FilterCondition? Selective { get; } = Table is null ? null : Filters.FirstOrDefault(f => f.IsSelective);

    /// <summary>The conditions evaluated after row-level security, on the subscriber's socket.</summary>
    public IReadOnlyList<FilterCondition> Remaining { get; } =
        Table is null ? Filters : [.. Filters.Where(f => !ReferenceEquals(f, Filters.FirstOrDefault(s => s.IsSelective)))];

    public bool MatchesEvent(string type) => Event == "*" || string.Equals(Event, type, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A joined channel: one topic on one socket (Phoenix channel process in Realtime).</summary>
internal sealed class RealtimeChannel
{
    private RealtimeToken _token;
    private ChannelPolicies _policies = new();

    public RealtimeChannel(RealtimeConnection connection, string topic, string? joinRef, RealtimeToken token, JsonObject? config)
    {
        Connection = connection;
        Topic = topic;
        SubTopic = topic["realtime:".Length..];
        JoinRef = joinRef;
        _token = token;
        IsPrivate = RealtimeJson.ReadFlag(config?["private"]);

        // Public and private channels of one name are different topics (Realtime's tenant_topic).
        HubKey = IsPrivate ? PrivatePrefix + topic : topic;
        var broadcast = config?["broadcast"] as JsonObject;
        BroadcastSelf = RealtimeJson.ReadFlag(broadcast?["self"]);
        BroadcastAck = RealtimeJson.ReadFlag(broadcast?["ack"]);
        var presence = config?["presence"] as JsonObject;
        PresenceEnabled = RealtimeJson.ReadFlag(presence?["enabled"]);
        var key = RealtimeJson.ReadString(presence?["key"]);

        // On a private channel a signed-in member is present as their user id (the token's sub), whatever key the client
        // asked for, so nobody can announce themselves as someone else; public channels keep the client's key.
        var subject = IsPrivate ? RealtimeJson.ReadString(token.Claims["sub"]) : null;
        PresenceKey = !string.IsNullOrEmpty(subject) ? subject : string.IsNullOrEmpty(key) ? Guid.NewGuid().ToString() : key;
    }

    /// <summary>What <see cref="HubKey"/> starts with for a private channel (a character no topic name is expected to use).</summary>
    internal const string PrivatePrefix = "\u0001private:";

    public RealtimeConnection Connection { get; }

    public string Topic { get; }

    /// <summary>The topic without <c>realtime:</c>, used as <c>channel</c> in system messages.</summary>
    public string SubTopic { get; }

    public string? JoinRef { get; }

    /// <summary>Joined with <c>config.private = true</c>: authorized by the policies of <c>realtime.messages</c>.</summary>
    public bool IsPrivate { get; }

    /// <summary>The topic as the hub keys it: private and public channels of one name do not hear each other.</summary>
    public string HubKey { get; }

    /// <summary>A private channel's policies (evaluated at join, on the first send or track, and on a new token).</summary>
    public ChannelPolicies Policies
    {
        get => Volatile.Read(ref _policies);
        set => Volatile.Write(ref _policies, value);
    }

    /// <summary>Whether this member receives broadcasts (always on a public channel).</summary>
    public bool ReceivesBroadcasts => !IsPrivate || Policies.BroadcastRead == true;

    /// <summary>Whether this member receives presence state and diffs (always on a public channel).</summary>
    public bool ReceivesPresence => !IsPrivate || Policies.PresenceRead == true;

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
