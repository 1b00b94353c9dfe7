using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Realtime.Protocol;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>Frame-level behaviour of the Phoenix socket against an in-test websocket server, for both serializers.</summary>
public sealed class PhoenixSocketTests
{
    private const string Topic = "realtime:room1";

    private static readonly RealtimeChannelConfig TodosConfig = new()
    {
        PostgresChanges = [new PostgresChangesBinding("*", "public", "todos", "id=eq.1")],
    };

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1, "1.0.0")]
    [InlineData(RealtimeProtocolVersion.V2, "2.0.0")]
    public async Task Join_sends_the_config_and_the_user_access_token(RealtimeProtocolVersion version, string vsn)
    {
        await using var h = await SocketHarness.StartAsync(version);
        h.Token = "user-jwt";
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, TodosConfig).Subscribe();

        var connection = await h.Server.AcceptAsync();
        Assert.Equal("anon-key", connection.Query["apikey"]);
        Assert.Equal(vsn, connection.Query["vsn"]);
        var join = await connection.ReceiveAsync();
        Assert.False(join.IsBinary);
        Assert.Equal("phx_join", join.Event);
        Assert.Equal(Topic, join.Topic);
        Assert.NotNull(join.Ref);
        Assert.Equal(join.Ref, join.JoinRef);
        Assert.Equal("user-jwt", join.Payload.GetProperty("access_token").GetString());
        var config = join.Payload.GetProperty("config");
        Assert.False(config.GetProperty("broadcast").GetProperty("ack").GetBoolean());
        Assert.False(config.GetProperty("presence").GetProperty("enabled").GetBoolean());
        Assert.False(config.GetProperty("private").GetBoolean());
        var binding = Assert.Single(config.GetProperty("postgres_changes").EnumerateArray());
        Assert.Equal("""{"event":"*","schema":"public","table":"todos","filter":"id=eq.1"}""", binding.GetRawText());
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Join_without_a_session_sends_the_project_key(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        new ChannelEvents().Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();

        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");

        Assert.Equal("anon-key", join.Payload.GetProperty("access_token").GetString());
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Heartbeat_goes_out_every_25_seconds_on_the_phoenix_topic(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();
        var (connection, _) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        h.Time.Advance(TimeSpan.FromSeconds(24.9));
        h.Time.Advance(TimeSpan.FromSeconds(0.1));
        var first = await connection.ReceiveAsync();
        Assert.Equal("heartbeat", first.Event);
        Assert.Equal("phoenix", first.Topic);
        Assert.Null(first.JoinRef);
        Assert.Equal("{}", first.Payload.GetRawText());
        await connection.ReplyAsync(first);
        await WaitUntilHandledAsync(connection, events);

        h.Time.Advance(TimeSpan.FromSeconds(25));
        var second = await connection.ReceiveAsync();
        Assert.Equal("heartbeat", second.Event);
        Assert.NotEqual(first.Ref, second.Ref);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Unanswered_heartbeat_closes_the_socket_and_reconnects_and_rejoins(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();
        var (connection, firstJoin) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        h.Time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal("heartbeat", (await connection.ReceiveAsync()).Event);
        h.Time.Advance(TimeSpan.FromSeconds(25)); // next tick: the previous heartbeat is still unanswered

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await connection.Closed.Within());
        Assert.Equal("heartbeat timeout", connection.CloseDescription);
        Assert.Equal("errored", await ChannelEvents.NextAsync(events.Lifecycle));
        Assert.Equal(TimeSpan.FromSeconds(1), await h.NextReconnectDelayAsync());

        h.Time.Advance(TimeSpan.FromSeconds(1));
        var (_, rejoin) = await h.AcceptAndJoinAsync(Topic);
        Assert.NotEqual(firstJoin.JoinRef, rejoin.JoinRef);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));
    }

    [Fact]
    public async Task Reconnect_backoff_is_1_2_5_10_then_10_seconds()
    {
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V2);
        h.Server.RejectUpgrades = true;
        new ChannelEvents().Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();

        var delays = new List<TimeSpan>();
        Assert.Equal(1, await h.Server.NextRejectionAsync());
        for (var attempt = 2; attempt <= 7; attempt++)
        {
            var delay = await h.NextReconnectDelayAsync();
            delays.Add(delay);
            h.Time.Advance(delay);
            Assert.Equal(attempt, await h.Server.NextRejectionAsync());
        }

        Assert.Equal([1, 2, 5, 10, 10, 10], delays.Select(d => d.TotalSeconds));
        await h.WaitForStateAsync(RealtimeConnectionState.Reconnecting);
    }

    [Theory]
    [InlineData(0.0, 0.8)]
    [InlineData(0.999, 1.2)]
    public async Task Reconnect_delays_are_jittered_by_up_to_20_percent(double random, double expectedSeconds)
    {
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V2, o => o with { Random = () => random });
        h.Server.RejectUpgrades = true;
        new ChannelEvents().Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();

        var delay = await h.NextReconnectDelayAsync();

        Assert.Equal(expectedSeconds, delay.TotalSeconds, precision: 2);
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Channels_rejoin_after_the_connection_drops(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        events.Create(h.Socket, "realtime:a", new RealtimeChannelConfig()).Subscribe();
        events.Create(h.Socket, "realtime:b", new RealtimeChannelConfig()).Subscribe();
        var connection = await h.Server.AcceptAsync();
        var joins = new[] { await connection.ReceiveAsync("phx_join"), await connection.ReceiveAsync("phx_join") };
        Assert.Equal(["realtime:a", "realtime:b"], joins.Select(j => j.Topic).Order());
        await h.WaitForStateAsync(RealtimeConnectionState.Connected);

        connection.Abort();
        await h.WaitForStateAsync(RealtimeConnectionState.Reconnecting);
        h.Time.Advance(await h.NextReconnectDelayAsync());

        var again = await h.Server.AcceptAsync();
        var rejoins = new[] { await again.ReceiveAsync("phx_join"), await again.ReceiveAsync("phx_join") };
        Assert.Equal(["realtime:a", "realtime:b"], rejoins.Select(j => j.Topic).Order());
        await h.WaitForStateAsync(RealtimeConnectionState.Connected);
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task A_new_token_is_pushed_as_access_token_on_every_joined_channel(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        h.Token = "token-1";
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();
        var (connection, join) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        h.Socket.SetAccessToken("token-2");

        var push = await connection.ReceiveAsync("access_token");
        Assert.Equal(Topic, push.Topic);
        Assert.Equal(join.JoinRef, push.JoinRef);
        Assert.Equal("""{"access_token":"token-2"}""", push.Payload.GetRawText());
    }

    [Fact]
    public async Task Heartbeat_rereads_the_token_and_pushes_it_when_it_changed()
    {
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V2);
        h.Token = "token-1";
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();
        var (connection, _) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        h.Token = null; // signed out: the project key takes over
        h.Time.Advance(TimeSpan.FromSeconds(25));

        Assert.Equal("heartbeat", (await connection.ReceiveAsync()).Event);
        var push = await connection.ReceiveAsync();
        Assert.Equal("access_token", push.Event);
        Assert.Equal("anon-key", push.Payload.GetProperty("access_token").GetString());
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Presence_state_then_diffs_give_the_correct_table(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig { Presence = true, PresenceKey = "u1" }).Subscribe();
        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");
        Assert.True(join.Payload.GetProperty("config").GetProperty("presence").GetProperty("enabled").GetBoolean());
        Assert.Equal("u1", join.Payload.GetProperty("config").GetProperty("presence").GetProperty("key").GetString());
        await connection.ReplyAsync(join);

        // A diff that overtakes the state is held back and applied after it.
        await connection.SendAsync(join.JoinRef, null, Topic, "presence_diff",
            """{"joins":{"u3":{"metas":[{"phx_ref":"c","name":"Cy"}]}},"leaves":{}}""");
        await connection.SendAsync(join.JoinRef, null, Topic, "presence_state",
            """{"u1":{"metas":[{"phx_ref":"a","name":"Al"}]},"u2":{"metas":[{"phx_ref":"b","name":"Bo"}]}}""");
        var state = await ChannelEvents.NextAsync(events.Presence);
        Assert.Equal(["u1", "u2", "u3"], state.Keys.Order());

        await connection.SendAsync(join.JoinRef, null, Topic, "presence_diff",
            """{"joins":{"u1":{"metas":[{"phx_ref":"a2","phx_ref_prev":"a","name":"Al2"}]}},"leaves":{"u2":{"metas":[{"phx_ref":"b","name":"Bo"}]},"u1":{"metas":[{"phx_ref":"a","name":"Al"}]}}}""");
        state = await ChannelEvents.NextAsync(events.Presence);
        Assert.Equal(["u1", "u3"], state.Keys.Order());
        Assert.Equal("Al2", Assert.Single(state["u1"]).GetProperty("name").GetString());

        await connection.SendAsync(join.JoinRef, null, Topic, "presence_diff",
            """{"joins":{"u1":{"metas":[{"phx_ref":"a3","name":"Al tab 2"}]}},"leaves":{}}""");
        state = await ChannelEvents.NextAsync(events.Presence);
        Assert.Equal(["a2", "a3"], state["u1"].Select(m => m.GetProperty("phx_ref").GetString()).Order());
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Postgres_changes_are_routed_by_the_binding_ids_of_the_join_reply(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        var inserts = new PostgresChangesBinding("INSERT", "public", "tickets", null);
        var updates = new PostgresChangesBinding("UPDATE", "public", "ticket_messages", "ticket_id=eq.7");
        events.Create(h.Socket, Topic, new RealtimeChannelConfig { PostgresChanges = [inserts, updates] }).Subscribe();
        var (connection, join) = await h.AcceptAndJoinAsync(Topic,
            """{"postgres_changes":[{"id":111,"event":"INSERT","schema":"public","table":"tickets"},{"id":222,"event":"UPDATE","schema":"public","table":"ticket_messages","filter":"ticket_id=eq.7"}]}""");
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        await connection.SendAsync(join.JoinRef, null, Topic, "postgres_changes", Change([999], "INSERT", "tickets", 1));
        await connection.SendAsync(join.JoinRef, null, Topic, "postgres_changes", Change([222], "UPDATE", "ticket_messages", 2));
        await connection.SendAsync(join.JoinRef, null, Topic, "postgres_changes", Change([111, 222], "INSERT", "tickets", 3));

        var (binding, change) = await ChannelEvents.NextAsync(events.Changes);
        Assert.Same(updates, binding);
        Assert.Equal(2, JsonDocument.Parse(change.Record).RootElement.GetProperty("id").GetInt32());
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 12, 0, 0, 123, TimeSpan.Zero), change.CommitTimestamp);
        (binding, change) = await ChannelEvents.NextAsync(events.Changes);
        Assert.Same(inserts, binding); // id 222 named too, but the UPDATE binding does not take an INSERT
        Assert.Equal(3, JsonDocument.Parse(change.Record).RootElement.GetProperty("id").GetInt32());
        Assert.False(events.Changes.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Malformed_postgres_changes_payloads_under_vsn_2_are_ignored_and_later_changes_still_arrive()
    {
        // vsn 2.0.0 cuts the payload out of the frame without reading it; the one parse that follows must still
        // refuse a broken object, trailing elements and a truncated payload, and keep the channel working.
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V2);
        var events = new ChannelEvents();
        var inserts = new PostgresChangesBinding("INSERT", "public", "tickets", null);
        events.Create(h.Socket, Topic, new RealtimeChannelConfig { PostgresChanges = [inserts] }).Subscribe();
        var (connection, join) = await h.AcceptAndJoinAsync(Topic,
            """{"postgres_changes":[{"id":111,"event":"INSERT","schema":"public","table":"tickets"}]}""");
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));
        var prefix = $"[\"{join.JoinRef}\",null,\"{Topic}\",\"postgres_changes\",";

        foreach (var broken in new[]
        {
            prefix + Change([111], "INSERT", "tickets", 1).Replace("\"record\":{", "\"record\":{{", StringComparison.Ordinal) + "]",
            prefix + Change([111], "INSERT", "tickets", 2) + ",{\"x\":1}]",
            prefix + Change([111], "INSERT", "tickets", 3)[..^1] + "]",
        })
        {
            await connection.SendRawAsync(Encoding.UTF8.GetBytes(broken), WebSocketMessageType.Text);
        }

        await connection.SendRawAsync(Encoding.UTF8.GetBytes(prefix + Change([111], "INSERT", "tickets", 4) + " ] "), WebSocketMessageType.Text);

        var (binding, change) = await ChannelEvents.NextAsync(events.Changes);
        Assert.Same(inserts, binding);
        Assert.Equal(4, JsonDocument.Parse(change.Record).RootElement.GetProperty("id").GetInt32());
        Assert.False(events.Changes.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_join_reply_with_other_bindings_is_a_mismatch()
    {
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V2);
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, TodosConfig).Subscribe();

        await h.AcceptAndJoinAsync(Topic, """{"postgres_changes":[{"id":1,"event":"*","schema":"public","table":"todos","filter":null}]}""");

        Assert.Equal("mismatch", await ChannelEvents.NextAsync(events.Lifecycle));
    }

    [Fact]
    public async Task Broadcast_push_is_a_kind_3_binary_frame_under_vsn_2()
    {
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V2);
        var events = new ChannelEvents();
        var channel = events.Create(h.Socket, Topic, new RealtimeChannelConfig());
        channel.Subscribe();
        var (connection, join) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        await channel.BroadcastAsync("cursor", new System.Text.Json.Nodes.JsonObject { ["x"] = 1 }, TestContext.Current.CancellationToken);

        var frame = await connection.ReceiveAsync();
        Assert.True(frame.IsBinary);
        var d = frame.Data;
        Assert.Equal(3, d[0]);
        var joinRef = join.JoinRef!;
        Assert.Equal(joinRef.Length, d[1]);
        int refLength = d[2], topicLength = d[3], eventLength = d[4], metaLength = d[5];
        Assert.Equal(Topic.Length, topicLength);
        Assert.Equal("cursor".Length, eventLength);
        Assert.Equal(0, metaLength);
        Assert.Equal(1, d[6]); // JSON encoding
        var offset = 7;
        Assert.Equal(joinRef, Encoding.UTF8.GetString(d, offset, d[1]));
        offset += d[1] + refLength;
        Assert.Equal(Topic, Encoding.UTF8.GetString(d, offset, topicLength));
        offset += topicLength;
        Assert.Equal("cursor", Encoding.UTF8.GetString(d, offset, eventLength));
        offset += eventLength;
        Assert.Equal("""{"x":1}""", Encoding.UTF8.GetString(d, offset, d.Length - offset));
    }

    [Fact]
    public async Task Broadcast_push_is_a_json_object_under_vsn_1()
    {
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V1);
        var events = new ChannelEvents();
        var channel = events.Create(h.Socket, Topic, new RealtimeChannelConfig());
        channel.Subscribe();
        var (connection, _) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        await channel.BroadcastAsync("cursor", new System.Text.Json.Nodes.JsonObject { ["x"] = 1 }, TestContext.Current.CancellationToken);

        var frame = await connection.ReceiveAsync();
        Assert.False(frame.IsBinary);
        Assert.Equal("broadcast", frame.Event);
        Assert.Equal("""{"type":"broadcast","event":"cursor","payload":{"x":1}}""", frame.Payload.GetRawText());
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Broadcast_with_ack_completes_on_the_server_reply(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        var channel = events.Create(h.Socket, Topic, new RealtimeChannelConfig { BroadcastAck = true });
        channel.Subscribe();
        var (connection, _) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        var send = channel.BroadcastAsync("ping", new System.Text.Json.Nodes.JsonObject(), TestContext.Current.CancellationToken);
        var frame = await connection.ReceiveAsync();
        Assert.False(send.IsCompleted);
        var reference = frame.IsBinary ? Encoding.UTF8.GetString(frame.Data, 7 + frame.Data[1], frame.Data[2]) : frame.Ref;
        var joinRef = frame.IsBinary ? Encoding.UTF8.GetString(frame.Data, 7, frame.Data[1]) : frame.JoinRef;
        await connection.SendAsync(joinRef, reference, Topic, "phx_reply", """{"status":"ok","response":{}}""");

        await send.Within();
    }

    [Fact]
    public async Task Kind_4_binary_broadcast_is_decoded()
    {
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V2);
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();
        var (connection, _) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        var topic = Encoding.UTF8.GetBytes(Topic);
        var evt = "cursor"u8.ToArray();
        var meta = """{"id":"m1"}"""u8.ToArray();
        var payload = """{"x":2}"""u8.ToArray();
        byte[] frame = [4, (byte)topic.Length, (byte)evt.Length, (byte)meta.Length, 1, .. topic, .. evt, .. meta, .. payload];
        await connection.SendRawAsync(frame, WebSocketMessageType.Binary);

        var (name, received) = await ChannelEvents.NextAsync(events.Broadcasts);
        Assert.Equal("cursor", name);
        Assert.Equal("""{"type":"broadcast","event":"cursor","payload":{"x":2},"meta":{"id":"m1"}}""", received.GetRawText());
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Json_broadcast_fan_out_is_received(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();
        var (connection, _) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        await connection.SendAsync(null, null, Topic, "broadcast", """{"type":"broadcast","event":"typing","payload":{"who":"al"}}""");

        var (name, received) = await ChannelEvents.NextAsync(events.Broadcasts);
        Assert.Equal("typing", name);
        Assert.Equal("al", received.GetProperty("payload").GetProperty("who").GetString());
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Phx_error_rejoins_the_channel_with_backoff(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();
        var (connection, join) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        await connection.SendAsync(join.JoinRef, join.JoinRef, Topic, "phx_error", "{}");
        Assert.Equal("errored", await ChannelEvents.NextAsync(events.Lifecycle));
        h.Time.Advance(TimeSpan.FromSeconds(1));

        var rejoin = await connection.ReceiveAsync("phx_join");
        Assert.NotEqual(join.JoinRef, rejoin.JoinRef);
        await connection.ReplyAsync(rejoin);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Phx_close_ends_the_channel_without_rejoin_and_the_last_channel_closes_the_socket(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        var channel = events.Create(h.Socket, Topic, new RealtimeChannelConfig());
        channel.Subscribe();
        var (connection, join) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        // A close for an older join of the topic is stale and ignored.
        await connection.SendAsync("0", "0", Topic, "phx_close", "{}");
        await connection.SendAsync(join.JoinRef, null, Topic, "system", """{"extension":"system","status":"error","message":"Token has expired","channel":"room1"}""");
        await connection.SendAsync(join.JoinRef, join.JoinRef, Topic, "phx_close", "{}");

        Assert.Equal("closed:Token has expired", await ChannelEvents.NextAsync(events.Lifecycle));
        Assert.Equal(ChannelState.Closed, channel.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await connection.Closed.Within());
        await h.WaitForStateAsync(RealtimeConnectionState.Disconnected);
    }

    [Theory]
    [InlineData(RealtimeProtocolVersion.V1)]
    [InlineData(RealtimeProtocolVersion.V2)]
    public async Task Leaving_the_last_channel_sends_phx_leave_and_closes_the_socket(RealtimeProtocolVersion version)
    {
        await using var h = await SocketHarness.StartAsync(version);
        var events = new ChannelEvents();
        var channel = events.Create(h.Socket, Topic, new RealtimeChannelConfig());
        channel.Subscribe();
        var (connection, join) = await h.AcceptAndJoinAsync(Topic);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));

        var leave = channel.LeaveAsync(TestContext.Current.CancellationToken);
        var frame = await connection.ReceiveAsync("phx_leave");
        Assert.Equal(join.JoinRef, frame.JoinRef);
        await connection.ReplyAsync(frame);
        await leave.Within();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await connection.Closed.Within());
        await h.WaitForStateAsync(RealtimeConnectionState.Disconnected);
    }

    [Fact]
    public async Task A_refused_join_is_retried_with_backoff()
    {
        await using var h = await SocketHarness.StartAsync(RealtimeProtocolVersion.V2);
        var events = new ChannelEvents();
        events.Create(h.Socket, Topic, new RealtimeChannelConfig()).Subscribe();
        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");

        await connection.ReplyAsync(join, """{"reason":"UnknownErrorOnChannel: boom"}""", status: "error");
        Assert.Equal("join-failed:UnknownErrorOnChannel: boom", await ChannelEvents.NextAsync(events.Lifecycle));
        h.Time.Advance(TimeSpan.FromSeconds(1));

        var retry = await connection.ReceiveAsync("phx_join");
        await connection.ReplyAsync(retry);
        Assert.Equal("joined", await ChannelEvents.NextAsync(events.Lifecycle));
    }

    /// <summary>Frames are handled in order on the client's receive loop: once a later broadcast arrived, the reply was handled.</summary>
    private static async Task WaitUntilHandledAsync(ServerConnection connection, ChannelEvents events)
    {
        await connection.SendAsync(null, null, Topic, "broadcast", """{"type":"broadcast","event":"marker","payload":{}}""");
        Assert.Equal("marker", (await ChannelEvents.NextAsync(events.Broadcasts)).Event);
    }

    private static string Change(int[] ids, string type, string table, int id) =>
        $$$"""{"ids":[{{{string.Join(",", ids)}}}],"data":{"schema":"public","table":"{{{table}}}","type":"{{{type}}}","commit_timestamp":"2026-01-01T12:00:00.123Z","columns":[{"name":"id","type":"int4"}],"record":{"id":{{{id}}}},"old_record":null,"errors":null}}""";
}
