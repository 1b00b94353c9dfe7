using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>The typed streams of <see cref="RealtimeClient"/> against the in-test websocket server.</summary>
public sealed class RealtimeClientTests
{
    [Fact]
    public async Task StatusChanges_catch_up_after_a_reconnect_in_order_and_without_duplicates()
    {
        await using var h = await ClientHarness.StartAsync();
        var ticket = Guid.NewGuid();
        h.Events.StatusChange(ticket, "new", "open"); // before the subscription: never delivered
        var recorder = new Recorder<TicketStatusChanged>();
        using var subscription = h.Client.StatusChanges().Subscribe(recorder);
        Assert.Equal(1, await h.Events.LatestRead.Task.Within());

        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection);
        var binding = Assert.Single(join.Payload.GetProperty("config").GetProperty("postgres_changes").EnumerateArray());
        Assert.Equal("""{"event":"INSERT","schema":"public","table":"ticket_events","filter":"kind=eq.status_changed"}""", binding.GetRawText());

        var e2 = h.Events.StatusChange(ticket, "open", "pending");
        await ClientHarness.SendEventAsync(connection, join, e2);
        Assert.Equal(e2.Id, (await recorder.NextAsync()).EventId);

        connection.Abort();
        var e3 = h.Events.StatusChange(ticket, "pending", "open"); // missed while disconnected
        var e4 = h.Events.StatusChange(ticket, "open", "solved");
        h.Time.Advance(await h.NextReconnectDelayAsync());
        var again = await h.Server.AcceptAsync();
        var rejoin = await ClientHarness.JoinAsync(again);
        await ClientHarness.SendEventAsync(again, rejoin, e4); // live copy of a caught-up event
        var e5 = h.Events.StatusChange(ticket, "solved", "closed");
        await ClientHarness.SendEventAsync(again, rejoin, e5);

        var items = await recorder.TakeAsync(3);
        Assert.Equal([e3.Id, e4.Id, e5.Id], items.Select(i => i.EventId));
        Assert.Equal((TicketStatus.Pending, TicketStatus.Open), (items[0].From, items[0].To));
        Assert.Equal((TicketStatus.Solved, TicketStatus.Closed), (items[2].From, items[2].To));
        Assert.Equal(ticket, items[2].TicketId);

        // A marker event proves nothing else is pending before it.
        var e6 = h.Events.StatusChange(ticket, "closed", "open");
        await ClientHarness.SendEventAsync(again, rejoin, e6);
        Assert.Equal(e6.Id, (await recorder.NextAsync()).EventId);
        Assert.False(recorder.Error.Task.IsCompleted);
    }

    [Fact]
    public async Task A_live_event_that_arrives_before_the_subscription_is_confirmed_never_overtakes_a_missed_one()
    {
        await using var h = await ClientHarness.StartAsync();
        var ticket = Guid.NewGuid();
        var recorder = new Recorder<TicketStatusChanged>();
        var stream = h.Client.StatusChanges();
        using var subscription = stream.Subscribe(recorder);
        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection);
        await stream.WhenLiveAsync(TestContext.Current.CancellationToken).Within();
        var e1 = h.Events.StatusChange(ticket, "new", "open");
        await ClientHarness.SendEventAsync(connection, join, e1);
        Assert.Equal(e1.Id, (await recorder.NextAsync()).EventId);

        connection.Abort();
        h.Time.Advance(await h.NextReconnectDelayAsync());
        var again = await h.Server.AcceptAsync();
        var rejoin = await ClientHarness.JoinAsync(again, confirm: false);

        // e2 commits just before the server's subscription becomes active, so it is never sent live; e3 commits after that and
        // is sent live, while the confirmation (sent after activation, as the DevStack and Supabase do) is still on its way.
        var e2 = h.Events.StatusChange(ticket, "open", "pending", committed: false);
        var e3 = h.Events.StatusChange(ticket, "pending", "solved");
        await ClientHarness.SendEventAsync(again, rejoin, e3);
        await h.HandledAsync(m => m.Event == "postgres_changes"
            && m.Payload.GetProperty("data").GetProperty("record").GetProperty("id").GetInt64() == e3.Id);
        h.Events.Commit(e2);
        Assert.False(stream.WhenLiveAsync(TestContext.Current.CancellationToken).IsCompleted);
        await ClientHarness.ConfirmAsync(again, rejoin);

        var items = await recorder.TakeAsync(2);
        Assert.Equal([e2.Id, e3.Id], items.Select(i => i.EventId));
        await stream.WhenLiveAsync(TestContext.Current.CancellationToken).Within();

        // Nothing else is pending: the next item is a fresh change, not a late duplicate of e3.
        var e4 = h.Events.StatusChange(ticket, "solved", "closed");
        await ClientHarness.SendEventAsync(again, rejoin, e4);
        Assert.Equal(e4.Id, (await recorder.NextAsync()).EventId);
    }

    [Fact]
    public async Task Without_a_confirmation_a_stream_goes_live_after_the_push_timeout()
    {
        await using var h = await ClientHarness.StartAsync();
        var ticket = Guid.NewGuid();
        var recorder = new Recorder<TicketStatusChanged>();
        var stream = h.Client.StatusChanges();
        var subscribing = stream.SubscribeAsync(recorder, TestContext.Current.CancellationToken);
        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection, confirm: false);
        var e1 = h.Events.StatusChange(ticket, "new", "open");
        await ClientHarness.SendEventAsync(connection, join, e1);
        await h.HandledAsync(m => m.Event == "postgres_changes"); // so the join reply was handled too
        h.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(subscribing.IsCompleted);

        h.Time.Advance(TimeSpan.FromSeconds(1));
        using var subscription = await subscribing.Within();
        Assert.Equal(e1.Id, (await recorder.NextAsync()).EventId);
    }

    [Fact]
    public async Task SubscribeAsync_fails_when_the_subscription_is_refused_before_it_is_live()
    {
        await using var h = await ClientHarness.StartAsync();
        var stream = h.Client.TicketChanges();
        var recorder = new Recorder<TicketChange>();
        var subscribing = stream.SubscribeAsync(recorder, TestContext.Current.CancellationToken);
        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");
        await connection.ReplyAsync(join, """{"reason":"Unauthorized: You do not have permissions to read from this Channel topic"}""", status: "error");

        var error = await Assert.ThrowsAsync<CrmRealtimeException>(() => subscribing.Within());
        Assert.Contains("Unauthorized", error.Message, StringComparison.Ordinal);
        Assert.Same(error, await recorder.Error.Task.Within());
        Assert.Equal("not_subscribed", Assert.Throws<CrmException>(() => { _ = stream.WhenLiveAsync(TestContext.Current.CancellationToken); }).Code);
    }

    [Fact]
    public async Task StatusChanges_without_catch_up_are_at_most_once()
    {
        await using var h = await ClientHarness.StartAsync();
        var recorder = new Recorder<TicketStatusChanged>();
        var client = h.Client;
        using var subscription = client.StatusChanges().Subscribe(recorder);
        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection);
        var ticket = Guid.NewGuid();

        var e1 = h.Events.StatusChange(ticket, "new", "open");
        await ClientHarness.SendEventAsync(connection, join, e1);

        Assert.Equal(e1.Id, (await recorder.NextAsync()).EventId);
    }

    [Fact]
    public async Task Signing_out_ends_streams_with_a_realtime_exception()
    {
        await using var h = await ClientHarness.StartAsync(ClientHarness.Jwt(Guid.NewGuid()));
        var ticket = Guid.NewGuid();
        var recorder = new Recorder<TicketMessage>();
        using var subscription = h.Client.Messages(ticket).Subscribe(recorder);
        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection);
        await ConfirmJoinedAsync(connection, join, ticket, recorder);

        h.Tokens.OnNext(null);

        Assert.IsType<CrmRealtimeException>(await recorder.Error.Task.Within());
        var leave = await connection.ReceiveAsync("phx_leave"); // the subscription was torn down
        await connection.ReplyAsync(leave);
        await connection.Closed.Within();
    }

    [Fact]
    public async Task A_refused_join_is_terminal_when_unauthorized()
    {
        await using var h = await ClientHarness.StartAsync();
        var recorder = new Recorder<TicketChange>();
        using var subscription = h.Client.TicketChanges().Subscribe(recorder);
        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");

        await connection.ReplyAsync(join, """{"reason":"Unauthorized: You do not have permissions to read from this Channel topic: x"}""", status: "error");

        var error = Assert.IsType<CrmRealtimeException>(await recorder.Error.Task.Within());
        Assert.Contains("Unauthorized", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TicketChanges_decode_typed_old_and_new_tickets()
    {
        await using var h = await ClientHarness.StartAsync();
        var recorder = new Recorder<TicketChange>();
        var id = Guid.NewGuid();
        using var subscription = h.Client.TicketChanges(TicketChangeFilter.ForTicket(id)).Subscribe(recorder);
        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection);
        var binding = Assert.Single(join.Payload.GetProperty("config").GetProperty("postgres_changes").EnumerateArray());
        Assert.Equal($$"""{"event":"*","schema":"public","table":"tickets","filter":"id=eq.{{id}}"}""", binding.GetRawText());

        await ClientHarness.SendChangeAsync(connection, join, "tickets", "UPDATE", Row(id, "on_hold", ["vip"]), Row(id, "open", []));
        await ClientHarness.SendChangeAsync(connection, join, "tickets", "DELETE", "null", $$"""{"id":"{{id}}"}""");

        var update = await recorder.NextAsync();
        Assert.Equal(TicketChangeKind.Updated, update.Kind);
        Assert.Equal(id, update.TicketId);
        Assert.Equal(TicketStatus.OnHold, update.New!.Status);
        Assert.Equal(["vip"], update.New.Tags);
        Assert.Equal(TicketStatus.Open, update.Old!.Status);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero), update.CommitTimestamp);
        var delete = await recorder.NextAsync();
        Assert.Equal(TicketChangeKind.Deleted, delete.Kind);
        Assert.Equal(id, delete.TicketId);
        Assert.Null(delete.New);
        Assert.Null(delete.Old);
    }

    [Fact]
    public async Task QueueUpdates_report_entered_claimed_released_and_left()
    {
        await using var h = await ClientHarness.StartAsync();
        var queue = Guid.NewGuid();
        var other = Guid.NewGuid();
        var agent = Guid.NewGuid();
        var ticket = Guid.NewGuid();
        var recorder = new Recorder<QueueUpdate>();
        using var subscription = h.Client.QueueUpdates(queue).Subscribe(recorder);
        await h.Events.LatestRead.Task.Within();
        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection);
        var binding = Assert.Single(join.Payload.GetProperty("config").GetProperty("postgres_changes").EnumerateArray());
        Assert.Equal("kind=in.(created,queue_changed,assignee_changed,agent_load_changed)", binding.GetProperty("filter").GetString());

        TicketEvent[] events =
        [
            h.Events.Add(ticket, "created", new JsonObject { ["status"] = new JsonArray(null, "new"), ["queue_id"] = new JsonArray(null, queue.ToString()), ["assignee_id"] = new JsonArray(null, null) }),
            h.Events.Add(ticket, "assignee_changed", new JsonObject { ["assignee_id"] = new JsonArray(null, agent.ToString()) }, actor: agent),
            h.Events.Add(ticket, "assignee_changed", new JsonObject { ["assignee_id"] = new JsonArray(agent.ToString(), null) }, actor: agent),
            h.Events.Add(ticket, "queue_changed", new JsonObject { ["queue_id"] = new JsonArray(queue.ToString(), other.ToString()) }),
        ];
        foreach (var e in events)
        {
            await ClientHarness.SendEventAsync(connection, join, e);
        }

        var updates = await recorder.TakeAsync(4);
        Assert.Equal([QueueUpdateKind.Entered, QueueUpdateKind.Claimed, QueueUpdateKind.Released, QueueUpdateKind.Left], updates.Select(u => u.Kind));
        Assert.Equal(agent, updates[1].AgentId);
        Assert.Equal(agent, updates[2].AgentId);
        Assert.All(updates, u => Assert.Equal(queue, u.QueueId));
    }

    [Fact]
    public async Task Viewers_and_TrackViewing_share_one_presence_channel_and_retrack_after_reconnect()
    {
        var me = Guid.NewGuid();
        await using var h = await ClientHarness.StartAsync(ClientHarness.Jwt(me));
        var ticket = Guid.NewGuid();
        var recorder = new Recorder<IReadOnlyList<TicketViewer>>();
        var stream = h.Client.Viewers(ticket);
        using var viewers = stream.Subscribe(recorder);
        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");
        Assert.Equal($"realtime:ticket-viewers:{ticket}", join.Topic);
        Assert.True(join.Payload.GetProperty("config").GetProperty("private").GetBoolean()); // staff-only, by the project's policies
        var presence = join.Payload.GetProperty("config").GetProperty("presence");
        Assert.True(presence.GetProperty("enabled").GetBoolean());
        Assert.Equal(me.ToString(), presence.GetProperty("key").GetString());
        await connection.ReplyAsync(join, """{"postgres_changes":[]}""");

        var tracking = h.Client.TrackViewingAsync(ticket, TestContext.Current.CancellationToken);
        var track = await connection.ReceiveAsync("presence");
        Assert.Equal(join.Topic, track.Topic);
        Assert.Equal("track", track.Payload.GetProperty("event").GetString());
        Assert.False(track.Payload.GetProperty("payload").TryGetProperty("user_id", out _)); // who it is comes from the key
        await connection.ReplyAsync(track);
        var lease = await tracking.Within();

        Assert.False(stream.WhenLiveAsync(TestContext.Current.CancellationToken).IsCompleted); // live once the presence state of the join arrived
        await connection.SendAsync(join.JoinRef, null, join.Topic, "presence_state",
            $$$"""{"{{{me}}}":{"metas":[{"phx_ref":"a","online_at":"2026-01-01T12:00:00Z"}]}}""");
        var seen = await recorder.NextAsync();
        var viewer = Assert.Single(seen);
        Assert.True(viewer.IsCurrentUser);
        Assert.Equal(me, viewer.UserId);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero), viewer.Since);
        await stream.WhenLiveAsync(TestContext.Current.CancellationToken).Within();

        connection.Abort();
        h.Time.Advance(await h.NextReconnectDelayAsync());
        var again = await h.Server.AcceptAsync();
        var rejoin = await again.ReceiveAsync("phx_join");
        await again.ReplyAsync(rejoin, """{"postgres_changes":[]}""");
        var retrack = await again.ReceiveAsync("presence");
        Assert.Equal("track", retrack.Payload.GetProperty("event").GetString());
        await again.ReplyAsync(retrack);

        var disposing = lease.DisposeAsync().AsTask();
        var untrack = await again.ReceiveAsync("presence");
        Assert.Equal("untrack", untrack.Payload.GetProperty("event").GetString());
        await again.ReplyAsync(untrack);
        await disposing.Within();
    }

    [Fact]
    public async Task TrackViewing_before_the_socket_connects_names_the_user_of_a_fixed_token_client()
    {
        var me = Guid.NewGuid();
        await using var h = await ClientHarness.StartAsync(ClientHarness.Jwt(me), tokenChanges: false);
        var ticket = Guid.NewGuid();

        var tracking = h.Client.TrackViewingAsync(ticket, TestContext.Current.CancellationToken);
        var connection = await h.Server.AcceptAsync();
        var join = await connection.ReceiveAsync("phx_join");
        Assert.Equal(me.ToString(), join.Payload.GetProperty("config").GetProperty("presence").GetProperty("key").GetString());
        await connection.ReplyAsync(join, """{"postgres_changes":[]}""");
        var track = await connection.ReceiveAsync("presence");
        Assert.Equal("track", track.Payload.GetProperty("event").GetString());
        await connection.ReplyAsync(track);
        var lease = await tracking.Within();

        var disposing = lease.DisposeAsync().AsTask();
        await connection.ReplyAsync(await connection.ReceiveAsync("presence"));
        await disposing.Within();
    }

    [Fact]
    public async Task The_socket_closes_after_the_last_subscription_and_reopens_for_the_next()
    {
        await using var h = await ClientHarness.StartAsync();
        var ticket = Guid.NewGuid();
        var recorder = new Recorder<TicketMessage>();
        var first = h.Client.Messages(ticket).Subscribe(recorder);
        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection);
        await ConfirmJoinedAsync(connection, join, ticket, recorder);

        first.Dispose();
        var leave = await connection.ReceiveAsync("phx_leave");
        await connection.ReplyAsync(leave);
        await connection.Closed.Within();

        using var second = h.Client.Messages(Guid.NewGuid()).Subscribe(new Recorder<TicketMessage>());
        var next = await h.Server.AcceptAsync();
        await ClientHarness.JoinAsync(next);
    }

    [Fact]
    public async Task A_token_change_is_pushed_to_joined_channels()
    {
        await using var h = await ClientHarness.StartAsync(ClientHarness.Jwt(Guid.NewGuid()));
        var ticket = Guid.NewGuid();
        var recorder = new Recorder<TicketMessage>();
        using var subscription = h.Client.Messages(ticket).Subscribe(recorder);
        var connection = await h.Server.AcceptAsync();
        var join = await ClientHarness.JoinAsync(connection);
        await ConfirmJoinedAsync(connection, join, ticket, recorder);

        var refreshed = ClientHarness.Jwt(Guid.NewGuid());
        h.Tokens.OnNext(refreshed);

        var push = await connection.ReceiveAsync("access_token");
        Assert.Equal(join.Topic, push.Topic);
        Assert.Equal(refreshed, push.Payload.GetProperty("access_token").GetString());
    }

    /// <summary>A delivered message proves the client has handled the join reply (binding ids are known).</summary>
    private static async Task ConfirmJoinedAsync(ServerConnection connection, ServerFrame join, Guid ticket, Recorder<TicketMessage> recorder)
    {
        await ClientHarness.SendChangeAsync(connection, join, "ticket_messages", "INSERT",
            $$"""{"id":"{{Guid.NewGuid()}}","ticket_id":"{{ticket}}","visibility":"public","body":"hi","metadata":{},"created_at":"2026-01-01T12:00:00+00:00"}""");
        Assert.Equal("hi", (await recorder.NextAsync()).Body);
    }

    private static string Row(Guid id, string status, string[] tags) =>
        JsonSerializer.Serialize(new JsonObject
        {
            ["id"] = id.ToString(),
            ["number"] = 42,
            ["subject"] = "Printer on fire",
            ["status"] = status,
            ["priority"] = "high",
            ["requester_id"] = Guid.NewGuid().ToString(),
            ["assignee_id"] = null,
            ["queue_id"] = null,
            ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]),
            ["metadata"] = new JsonObject(),
            ["version"] = 3,
            ["created_at"] = "2026-01-01T11:00:00.000+00:00",
            ["updated_at"] = "2026-01-01T12:00:00.000+00:00",
        });
}
