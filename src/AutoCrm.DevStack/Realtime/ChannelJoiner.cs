using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Realtime.Filters;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// The <c>phx_join</c> of one socket, in Supabase Realtime's order: payload checks, the socket's joins-per-second and
/// channels limits, the token, the binding limit, a private channel's read policies, then the join reply, presence state
/// and the postgres_changes subscription (catalog checks, the "Subscribed to PostgreSQL" system message).
/// </summary>
internal sealed class ChannelJoiner(RealtimeConnection connection, RealtimeService service)
{
    private readonly Lock _rateGate = new();
    private double _joinTokens = double.NaN;
    private long _joinTokensAt;

    public async Task JoinAsync(PhoenixMessage message, CancellationToken ct)
    {
        if (!message.Topic.StartsWith("realtime:", StringComparison.Ordinal))
        {
            connection.Reply(message, "error", new JsonObject { ["reason"] = "unmatched topic" });
            return;
        }

        if (message.Topic == "realtime:")
        {
            connection.JoinError(message, "TopicNameRequired: You must provide a topic name");
            return;
        }

        var limits = service.Options.Limits;
        if (!TryCountJoin(limits.MaxJoinsPerSecond))
        {
            // Realtime refuses the join and disconnects the socket.
            RealtimeLog.LimitReached(service.Logger, $"joins per second ({limits.MaxJoinsPerSecond})");
            connection.JoinError(message, "ClientJoinRateLimitReached: Too many joins per second");
            connection.RequestClose(WebSocketCloseStatus.NormalClosure, "Too many joins per second");
            return;
        }

        if (connection.ChannelCount >= limits.MaxChannelsPerClient && !connection.HasChannel(message.Topic))
        {
            RealtimeLog.LimitReached(service.Logger, $"channels per client ({limits.MaxChannelsPerClient})");
            connection.JoinError(message, "ChannelRateLimitReached: Too many channels");
            return;
        }

        if (message.Payload is not JsonObject payload)
        {
            connection.JoinError(message, "UnknownErrorOnChannel: the join payload must be a JSON object");
            return;
        }

        var config = payload["config"] as JsonObject;
        if (payload["config"] is not null and not JsonObject)
        {
            connection.JoinError(message, "UnknownErrorOnChannel: `config` must be a JSON object");
            return;
        }

        var tokenText = RealtimeJson.ReadString(payload["user_token"]) ?? RealtimeJson.ReadString(payload["access_token"]);
        var check = string.IsNullOrEmpty(tokenText) || tokenText.StartsWith("sb_", StringComparison.Ordinal)
            ? new RealtimeTokenCheck(connection.SocketToken, RealtimeTokenError.None, "")
            : service.Verifier.Verify(tokenText);
        if (!check.IsValid)
        {
            connection.JoinError(message, check.JoinReason);
            return;
        }

        var requested = config?["postgres_changes"] as JsonArray ?? [];
        if (config?["postgres_changes"] is not null and not JsonArray || requested.Any(e => e is not JsonObject))
        {
            connection.JoinError(message, "UnknownErrorOnChannel: `postgres_changes` must be a list of objects");
            return;
        }

        if (requested.Count > limits.MaxBindingsPerChannel)
        {
            RealtimeLog.LimitReached(service.Logger, $"postgres_changes bindings per channel ({limits.MaxBindingsPerChannel})");
            connection.JoinError(message, string.Create(CultureInfo.InvariantCulture, $"TooManyBindings: a channel may have at most {limits.MaxBindingsPerChannel} postgres_changes bindings, got {requested.Count}"));
            return;
        }

        var channel = new RealtimeChannel(connection, message.Topic, message.JoinRef, check.Token!, config);
        if (channel.IsPrivate)
        {
            var policies = await service.Authorization.AuthorizeReadAsync(channel.Policies, channel.Token, channel.SubTopic, channel.PresenceEnabled, ct);
            if (!policies.CanReadAnything)
            {
                RealtimeLog.PolicyRefused(service.Logger, channel.SubTopic, "join");
                connection.JoinError(message, $"Unauthorized: You do not have permissions to read from this Channel topic: {channel.SubTopic}");
                return;
            }

            channel.Policies = policies;
        }

        // Rejoining a topic replaces its channel.
        connection.Register(channel);

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

        connection.Reply(message, "ok", new JsonObject { ["postgres_changes"] = echoed });

        if (channel.PresenceEnabled && channel.ReceivesPresence)
        {
            channel.Send("presence_state", service.Hub.PresenceState(channel));
        }

        if (echoed.Count > 0)
        {
            await SubscribePostgresAsync(channel, echoed, ct);
        }
    }

    /// <summary>A token bucket: <paramref name="perSecond"/> joins per second sustained, bursts of as many.</summary>
    private bool TryCountJoin(int perSecond)
    {
        var time = service.TimeProvider;
        lock (_rateGate)
        {
            var now = time.GetTimestamp();
            _joinTokens = double.IsNaN(_joinTokens)
                ? perSecond
                : Math.Min(perSecond, _joinTokens + (time.GetElapsedTime(_joinTokensAt, now).TotalSeconds * perSecond));
            _joinTokensAt = now;
            if (_joinTokens < 1)
            {
                return false;
            }

            _joinTokens--;
            return true;
        }
    }

    private async Task SubscribePostgresAsync(RealtimeChannel channel, JsonArray echoed, CancellationToken ct)
    {
        var bindings = new List<PostgresBinding>();
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

            bindings.Add(new PostgresBinding(entry["id"]!.GetValue<int>(), schema, table is null or "*" ? null : table, @event, filters, channel));
        }

        string? error;
        try
        {
            error = await service.Catalog.ValidateAsync(bindings, channel.Token.Role, service.Options.Limits.MaxPatternStates, ct);
            if (error is null)
            {
                error = await service.WaitForReplicationAsync(ct);
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

        service.Hub.ActivateBindings(channel, bindings);
        if (!channel.IsClosed)
        {
            channel.SendSystem("postgres_changes", "ok", "Subscribed to PostgreSQL");
        }
    }

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
}
