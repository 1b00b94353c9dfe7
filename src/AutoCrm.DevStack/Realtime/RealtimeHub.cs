using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// Everything the sockets share: which channels are joined to which topic, the postgres_changes bindings the
/// dispatcher reads, and presence state. Fan-out only enqueues on the sockets' bounded buffers, so it never blocks.
/// </summary>
internal sealed class RealtimeHub
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<RealtimeChannel>> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<RealtimeChannel, JsonObject>> _presence = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<RealtimeConnection, byte> _connections = new();
    private BindingIndex _bindings = BindingIndex.Empty;
    private long _presenceRef;
    private bool _stopping;

    /// <summary>Snapshot of every active binding, indexed, read by the change dispatcher.</summary>
    public BindingIndex Bindings => Volatile.Read(ref _bindings);

    public int ConnectionCount => _connections.Count;

    public void AddConnection(RealtimeConnection connection)
    {
        _connections.TryAdd(connection, 0);
        if (Volatile.Read(ref _stopping))
        {
            // Accepted while the app was stopping: it is closed like the others (CloseAll may have missed it).
            connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, ShutdownReason);
        }
    }

    /// <summary>The close reason sent to every socket when the application stops.</summary>
    internal const string ShutdownReason = "server shutting down";

    /// <summary>
    /// Application stopping: every socket gets a close frame (1001 going away) after what is already queued, so
    /// clients see a clean close and reconnect, and the host's shutdown does not wait for its timeout to abort them.
    /// </summary>
    public int CloseAll()
    {
        // A full fence (not just a release store): AddConnection adds then reads the flag, this sets it then reads
        // the set, so every connection is either seen here or sees the flag there.
        Interlocked.Exchange(ref _stopping, true);
        var count = 0;
        foreach (var connection in _connections.Keys)
        {
            connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, ShutdownReason);
            count++;
        }

        return count;
    }

    public void RemoveConnection(RealtimeConnection connection) => _connections.TryRemove(connection, out _);

    /// <summary>Aborts every socket (test hook behind DevStackServer.DropRealtimeConnections).</summary>
    public int DropAll()
    {
        var count = 0;
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
            count++;
        }

        return count;
    }

    public void AddChannel(RealtimeChannel channel)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(channel.HubKey, out var list))
            {
                _topics[channel.HubKey] = list = [];
            }

            list.Add(channel);
        }
    }

    public void ActivateBindings(RealtimeChannel channel, IReadOnlyList<PostgresBinding> bindings)
    {
        lock (_gate)
        {
            if (channel.IsClosed)
            {
                return;
            }

            channel.Bindings = bindings;
            RebuildBindings();
        }
    }

    /// <summary>Removes a channel; its presence (if any) leaves.</summary>
    public void RemoveChannel(RealtimeChannel channel)
    {
        lock (_gate)
        {
            channel.MarkClosed();
            if (_topics.TryGetValue(channel.HubKey, out var list))
            {
                list.Remove(channel);
                if (list.Count == 0)
                {
                    _topics.Remove(channel.HubKey);
                }
            }

            UntrackLocked(channel);
            if (channel.Bindings.Count > 0)
            {
                channel.Bindings = [];
                RebuildBindings();
            }
        }
    }

    /// <summary>
    /// Delivers a broadcast to every channel on the topic (<paramref name="hubKey"/>: <see cref="RealtimeChannel.HubKey"/>),
    /// the sender only when it asked for self, on a private topic only members allowed to read broadcasts.
    /// </summary>
    public void Broadcast(string hubKey, string topic, JsonNode? payload, byte[]? binaryPayload, RealtimeChannel? sender)
    {
        RealtimeChannel[] targets;
        lock (_gate)
        {
            if (!_topics.TryGetValue(hubKey, out var list))
            {
                return;
            }

            targets = [.. list];
        }

        var userEvent = (payload is JsonObject fields ? RealtimeJson.ReadString(fields["event"]) : null) ?? "";
        var json = binaryPayload is null ? PhoenixSerializer.SerializePayload(payload) : null;
        foreach (var target in targets)
        {
            if ((target == sender && !sender.BroadcastSelf) || !target.ReceivesBroadcasts)
            {
                continue;
            }

            var serializer = target.Connection.Serializer;
            var frame = binaryPayload is null
                ? serializer.EncodeRaw(null, null, topic, "broadcast", json)
                : serializer.EncodeBinaryBroadcast(topic, userEvent, binaryPayload);
            target.Connection.Send(frame);
        }
    }

    /// <summary>Tracks (or re-tracks) the channel's presence and pushes presence_diff to the topic.</summary>
    public void Track(RealtimeChannel channel, JsonObject state)
    {
        lock (_gate)
        {
            if (channel.IsClosed)
            {
                return;
            }

            if (!_presence.TryGetValue(channel.HubKey, out var entries))
            {
                _presence[channel.HubKey] = entries = [];
            }

            if (entries.ContainsKey(channel) && JsonNode.DeepEquals(channel.PresenceTrackPayload, state))
            {
                // Realtime: re-tracking the payload already tracked changes nothing (no presence_diff).
                return;
            }

            channel.PresenceTrackPayload = (JsonObject)state.DeepClone();
            var meta = (JsonObject)state.DeepClone();
            meta["phx_ref"] = NextPresenceRef();
            JsonObject? leaves = null;
            if (entries.TryGetValue(channel, out var previous))
            {
                meta["phx_ref_prev"] = previous["phx_ref"]?.DeepClone();
                leaves = Keyed(channel.PresenceKey, previous);
            }

            entries[channel] = meta;
            channel.PresenceEnabled = true;
            PushDiffLocked(channel, Keyed(channel.PresenceKey, meta), leaves ?? []);
        }
    }

    public void Untrack(RealtimeChannel channel)
    {
        lock (_gate)
        {
            UntrackLocked(channel);
        }
    }

    /// <summary>The presence_state payload for a channel's topic: <c>{key: {metas: [...]}}</c>.</summary>
    public JsonObject PresenceState(RealtimeChannel channel)
    {
        lock (_gate)
        {
            var state = new JsonObject();
            if (_presence.TryGetValue(channel.HubKey, out var entries))
            {
                foreach (var (member, meta) in entries)
                {
                    if (state[member.PresenceKey] is not JsonObject keyed)
                    {
                        state[member.PresenceKey] = keyed = new JsonObject { ["metas"] = new JsonArray() };
                    }

                    ((JsonArray)keyed["metas"]!).Add(meta.DeepClone());
                }
            }

            return state;
        }
    }

    private void UntrackLocked(RealtimeChannel channel)
    {
        channel.PresenceTrackPayload = null;
        if (_presence.TryGetValue(channel.HubKey, out var entries) && entries.Remove(channel, out var meta))
        {
            if (entries.Count == 0)
            {
                _presence.Remove(channel.HubKey);
            }

            PushDiffLocked(channel, [], Keyed(channel.PresenceKey, meta));
        }
    }

    /// <summary>Sends a presence_diff to the channel's topic (on a private topic only to members allowed to read presence).</summary>
    private void PushDiffLocked(RealtimeChannel source, JsonObject joins, JsonObject leaves)
    {
        if (!_topics.TryGetValue(source.HubKey, out var list))
        {
            return;
        }

        var payload = PhoenixSerializer.SerializePayload(new JsonObject { ["joins"] = joins, ["leaves"] = leaves });
        foreach (var target in list)
        {
            if (!target.IsClosed && target.ReceivesPresence)
            {
                target.Connection.Send(target.Connection.Serializer.EncodeRaw(null, null, source.Topic, "presence_diff", payload));
            }
        }
    }

    private static JsonObject Keyed(string key, JsonObject meta) =>
        new() { [key] = new JsonObject { ["metas"] = new JsonArray(meta.DeepClone()) } };

    private string NextPresenceRef() =>
        "F" + Interlocked.Increment(ref _presenceRef).ToString("x8", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..8];

    private void RebuildBindings() =>
        Volatile.Write(ref _bindings, new BindingIndex([.. _topics.Values.SelectMany(l => l).SelectMany(c => c.Bindings)]));
}
