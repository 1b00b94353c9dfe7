using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// What a joined channel's member pushes, handled as Supabase Realtime's channel does: broadcasts, presence tracks and
/// untracks, and new access tokens. On a private channel each needs the member's policies (<see cref="ChannelAuthorization"/>):
/// a broadcast without write permission reaches no one and gets no reply, a presence track without it gets an error reply,
/// and a new token is checked against the read policies again.
/// </summary>
internal sealed class ChannelPushes(RealtimeConnection connection, RealtimeService service)
{
    private static readonly TimeSpan ConfirmTokenInterval = TimeSpan.FromMinutes(5);

    private RealtimeOptions Options => service.Options;

    public async Task BroadcastAsync(RealtimeChannel channel, PhoenixMessage message, CancellationToken ct)
    {
        if (channel.IsPrivate)
        {
            if (channel.Policies.BroadcastWrite is null)
            {
                channel.Policies = await service.Authorization.AuthorizeWriteAsync(channel.Policies, channel.Token, channel.SubTopic, ct);
            }

            if (channel.Policies.BroadcastWrite != true)
            {
                RealtimeLog.PolicyRefused(service.Logger, channel.SubTopic, "broadcast");
                return;
            }
        }

        // Realtime's BroadcastHandler relays whatever payload the push carries (an object without `event`, an
        // array, a string, null): it neither validates nor answers with an error, it only checks the size.
        var payload = message.Payload;

        // Realtime's validate_payload_size (tenant max_payload_size_in_kb): an oversized broadcast reaches no one;
        // with ack the sender is told, without ack it is dropped silently.
        var size = message.BinaryPayload?.Length ?? 0;
        size += message.BinaryPayload is null ? PhoenixSerializer.SerializePayload(payload).Length : 0;
        if (size > Options.MaxPayloadBytes)
        {
            RealtimeLog.PayloadTooLarge(service.Logger, "broadcast", size, Options.MaxPayloadBytes);
            if (channel.BroadcastAck)
            {
                connection.Reply(message, "error", JsonValue.Create("payload_size_exceeded"));
            }

            return;
        }

        service.Hub.Broadcast(channel.HubKey, channel.Topic, payload, message.BinaryPayload, channel);
        if (channel.BroadcastAck)
        {
            connection.Reply(message, "ok", new JsonObject());
        }
    }

    /// <summary>
    /// Presence pushes as Realtime's PresenceHandler handles them: a payload without <c>event</c> is a no-op; every
    /// other push counts against the channel's client rate limit (5 per 30 s by default; over it the channel is shut
    /// down with a system error); a track larger than the payload limit shuts the channel down; re-tracking the same
    /// state changes nothing; an unknown presence event gets an error reply.
    /// </summary>
    public async Task PresenceAsync(RealtimeChannel channel, PhoenixMessage message, CancellationToken ct)
    {
        var payload = message.Payload as JsonObject;
        var presenceEvent = RealtimeJson.ReadString(payload?["event"]);
        if (presenceEvent is null)
        {
            connection.Reply(message, "ok", new JsonObject());
            return;
        }

        var time = service.TimeProvider;
        if (!channel.TryCountPresenceCall(time.GetTimestamp(), Options.ClientPresenceMaxCalls, Options.ClientPresenceWindow, time))
        {
            RealtimeLog.PresenceRateLimited(service.Logger, channel.Topic);
            connection.CloseWithError(channel, "Client presence rate limit exceeded");
            return;
        }

        switch (presenceEvent.ToLowerInvariant())
        {
            case "track":
                if (channel.IsPrivate && !await CanTrackAsync(channel, ct))
                {
                    RealtimeLog.PolicyRefused(service.Logger, channel.SubTopic, "presence track");
                    connection.Reply(message, "error", new JsonObject());
                    return;
                }

                if (payload!["payload"] is not JsonObject state)
                {
                    connection.Reply(message, "error", new JsonObject { ["reason"] = "Presence track payload must be a map" });
                    return;
                }

                var size = PhoenixSerializer.SerializePayload(state).Length;
                if (size > Options.MaxPayloadBytes)
                {
                    RealtimeLog.PayloadTooLarge(service.Logger, "presence track", size, Options.MaxPayloadBytes);
                    connection.CloseWithError(channel, "Track message size exceeded");
                    return;
                }

                // Phoenix answers the push before the tracker's diff goes out.
                connection.Reply(message, "ok", new JsonObject());
                service.Hub.Track(channel, state);
                break;
            case "untrack":
                connection.Reply(message, "ok", new JsonObject());
                service.Hub.Untrack(channel);
                break;
            default:
                connection.Reply(message, "error", new JsonObject());
                break;
        }
    }

    /// <summary>A private channel's presence write policy (and its read policy, when the join did not evaluate it).</summary>
    private async Task<bool> CanTrackAsync(RealtimeChannel channel, CancellationToken ct)
    {
        var policies = channel.Policies;
        if (policies.PresenceWrite is null)
        {
            if (policies.PresenceRead is null)
            {
                policies = await service.Authorization.AuthorizeReadAsync(policies, channel.Token, channel.SubTopic, presence: true, ct);
            }

            channel.Policies = policies = await service.Authorization.AuthorizeWriteAsync(policies, channel.Token, channel.SubTopic, ct);
        }

        return policies.PresenceWrite == true;
    }

    public async Task AccessTokenAsync(RealtimeChannel channel, PhoenixMessage message, CancellationToken ct)
    {
        var token = RealtimeJson.ReadString((message.Payload as JsonObject)?["access_token"]);
        if (token is null || token == channel.Token.Raw)
        {
            return;
        }

        var check = token.StartsWith("sb_", StringComparison.Ordinal)
            ? new RealtimeTokenCheck(connection.SocketToken, RealtimeTokenError.None, "")
            : service.Verifier.Verify(token);
        if (!check.IsValid)
        {
            connection.CloseWithError(channel, check.Message);
            return;
        }

        if (channel.IsPrivate)
        {
            // The member is present as the user of the token it joined with; another user's token does not take it over.
            var subject = RealtimeJson.ReadString(check.Token!.Claims["sub"]);
            if (!string.IsNullOrEmpty(subject) && subject != channel.PresenceKey && RealtimeJson.ReadString(channel.Token.Claims["sub"]) is { Length: > 0 })
            {
                connection.CloseWithError(channel, "The access token belongs to another user; rejoin the channel as that user");
                return;
            }

            var previous = channel.Policies;
            var policies = await service.Authorization.AuthorizeReadAsync(new ChannelPolicies(), check.Token, channel.SubTopic, channel.PresenceEnabled || previous.PresenceRead is not null, ct);
            if ((previous.BroadcastRead == true && policies.BroadcastRead != true) || (previous.PresenceRead == true && policies.PresenceRead != true))
            {
                connection.CloseWithError(channel, $"You no longer have permission to read from this Channel topic: {channel.SubTopic}");
                return;
            }

            if (!policies.CanReadAnything)
            {
                connection.CloseWithError(channel, $"You do not have permissions to read from this Channel topic: {channel.SubTopic}");
                return;
            }

            channel.Policies = policies;
        }

        channel.Token = check.Token!;
        ScheduleExpiry(channel);
    }

    /// <summary>Re-checks the channel's token every min(5 min, time to exp), as Realtime's confirm_token does.</summary>
    public void ScheduleExpiry(RealtimeChannel channel)
    {
        var token = channel.Token;
        var due = DateTimeOffset.FromUnixTimeSeconds(token.Exp) - service.TimeProvider.GetUtcNow();
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due > ConfirmTokenInterval ? ConfirmTokenInterval : due;
        channel.ExpiryTimer?.Dispose();
        channel.ExpiryTimer = service.TimeProvider.CreateTimer(
            _ =>
            {
                if (channel.Token != token || channel.IsClosed)
                {
                    return;
                }

                var check = HmacRealtimeTokenVerifier.CheckClaims(token.Raw, token.Claims, service.TimeProvider);
                if (check.IsValid)
                {
                    ScheduleExpiry(channel);
                }
                else
                {
                    connection.CloseWithError(channel, check.Message);
                }
            },
            null,
            due,
            Timeout.InfiniteTimeSpan);
    }
}
