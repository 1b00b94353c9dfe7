using System.Reactive;
using System.Reactive.Linq;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Tests.Integration;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>SDK → DevStack → PostgreSQL: realtime delivery, row-level security on streams, and the no-loss fault test.</summary>
[Collection(RealtimeDropsCollection.Name)]
public sealed class RealtimeIntegrationTests(DevStackFixture devStack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_status_change_by_one_client_reaches_another_clients_StatusChanges()
    {
        var queue = await devStack.CreateQueueAsync();
        var customer = await devStack.CreateUserAsync(UserRole.Customer);
        var agent = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var watcher = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var ticket = await NewTicketAsync(customer, queue.Id);
        var recorder = new Recorder<TicketStatusChanged>();
        using var subscription = await SubscribeReadyAsync(watcher.Crm.Realtime.StatusChanges(queue.Id), recorder);

        await agent.Crm.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Open }, cancellationToken: Ct);

        var change = await recorder.NextAsync();
        Assert.Equal(ticket.Id, change.TicketId);
        Assert.Equal(TicketStatus.New, change.From);
        Assert.Equal(TicketStatus.Open, change.To);
        Assert.Equal(agent.Id, change.ActorId);
    }

    [Fact]
    public async Task Customers_never_see_other_customers_tickets_or_internal_notes()
    {
        var queue = await devStack.CreateQueueAsync();
        var alice = await devStack.CreateUserAsync(UserRole.Customer);
        var bob = await devStack.CreateUserAsync(UserRole.Customer);
        var agent = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var aliceTicket = await NewTicketAsync(alice, queue.Id);
        var aliceMessages = new Recorder<TicketMessage>();
        var bobTickets = new Recorder<TicketChange>();
        using var a = await SubscribeReadyAsync(alice.Crm.Realtime.Messages(aliceTicket.Id), aliceMessages);
        using var b = await SubscribeReadyAsync(bob.Crm.Realtime.TicketChanges(), bobTickets);

        await agent.Crm.Tickets.AddInternalNoteAsync(aliceTicket.Id, "internal: refund looks fraudulent", cancellationToken: Ct);
        await agent.Crm.Tickets.UpdateAsync(aliceTicket.Id, new TicketPatch { Status = TicketStatus.Pending }, cancellationToken: Ct);
        await agent.Crm.Tickets.ReplyAsync(aliceTicket.Id, "We are on it", cancellationToken: Ct);
        var bobTicket = await NewTicketAsync(bob, queue.Id); // Bob's marker: his own ticket

        var first = await aliceMessages.NextAsync();
        Assert.Equal("We are on it", first.Body);
        Assert.Equal(MessageVisibility.Public, first.Visibility);
        var seenByBob = await bobTickets.NextAsync();
        Assert.Equal(bobTicket.Id, seenByBob.TicketId);
        Assert.Equal(TicketChangeKind.Inserted, seenByBob.Kind);
    }

    [Fact]
    public async Task QueueUpdates_reflect_claims_and_releases_by_other_agents()
    {
        var queue = await devStack.CreateQueueAsync();
        var customer = await devStack.CreateUserAsync(UserRole.Customer);
        var claimer = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var watcher = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var recorder = new Recorder<QueueUpdate>();
        using var subscription = await SubscribeReadyAsync(watcher.Crm.Realtime.QueueUpdates(queue.Id), recorder);

        var ticket = await NewTicketAsync(customer, queue.Id);
        var claimed = await claimer.Crm.Queues.ClaimNextAsync(queue.Id, Ct);
        Assert.Equal(ticket.Id, claimed?.Id);
        await claimer.Crm.Queues.ReleaseAsync(ticket.Id, Ct);

        var updates = await recorder.TakeAsync(3);
        Assert.Equal([QueueUpdateKind.Entered, QueueUpdateKind.Claimed, QueueUpdateKind.Released], updates.Select(u => u.Kind));
        Assert.All(updates, u => Assert.Equal(ticket.Id, u.TicketId));
        Assert.Equal(claimer.Id, updates[1].AgentId);
        Assert.Equal(claimer.Id, updates[1].ActorId);
        Assert.True(updates[0].EventId < updates[1].EventId && updates[1].EventId < updates[2].EventId);
    }

    [Fact]
    public async Task QueueUpdates_carry_the_agents_load_on_claims_releases_and_solves()
    {
        var queue = await devStack.CreateQueueAsync();
        var customer = await devStack.CreateUserAsync(UserRole.Customer);
        var claimer = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var watcher = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        // Loads are reported where routing is in use: this queue limits agents to 5 (claims stay manual).
        await devStack.Service.Rest.Rpc("set_queue_routing", new System.Text.Json.Nodes.JsonObject
        {
            ["queue_id"] = queue.Id.ToString(),
            ["mode"] = "manual",
            ["capacity"] = 5,
        }).ToJsonAsync(Ct);
        var recorder = new Recorder<QueueUpdate>();
        using var subscription = await SubscribeReadyAsync(watcher.Crm.Realtime.QueueUpdates(queue.Id), recorder);

        var first = await NewTicketAsync(customer, queue.Id);
        var second = await NewTicketAsync(customer, queue.Id);
        Assert.Equal(first.Id, (await claimer.Crm.Queues.ClaimNextAsync(queue.Id, Ct))?.Id);
        Assert.Equal(second.Id, (await claimer.Crm.Queues.ClaimNextAsync(queue.Id, Ct))?.Id);
        await claimer.Crm.Queues.ReleaseAsync(second.Id, Ct);
        await claimer.Crm.Tickets.UpdateAsync(first.Id, new TicketPatch { Status = TicketStatus.Solved }, cancellationToken: Ct);

        var updates = await recorder.TakeAsync(6);
        Assert.Equal([QueueUpdateKind.Entered, QueueUpdateKind.Entered, QueueUpdateKind.Claimed, QueueUpdateKind.Claimed,
                      QueueUpdateKind.Released, QueueUpdateKind.LoadChanged], updates.Select(u => u.Kind));
        Assert.Equal([first.Id, second.Id, first.Id, second.Id, second.Id, first.Id], updates.Select(u => u.TicketId));
        Assert.Empty(updates[0].AgentLoads);
        Assert.Equal([1, 2, 1, 0], updates.Skip(2).Select(u => Assert.Single(u.AgentLoads).OpenTickets));
        Assert.All(updates.Skip(2), u => Assert.Equal(claimer.Id, Assert.Single(u.AgentLoads).AgentId));
        Assert.All(updates.Skip(2), u => Assert.Equal(5, u.AgentLoads[0].Capacity));
        Assert.Equal(claimer.Id, updates[5].AgentId);
    }

    [Fact]
    public async Task StatusChanges_deliver_all_500_changes_exactly_once_in_order_across_dropped_connections()
    {
        const int Changes = 500;
        var queue = await devStack.CreateQueueAsync();
        var customer = await devStack.CreateUserAsync(UserRole.Customer);
        var agent = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var watcher = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var tickets = new List<Ticket>();
        for (var i = 0; i < 5; i++)
        {
            tickets.Add(await NewTicketAsync(customer, queue.Id));
        }

        var ours = tickets.Select(t => t.Id).ToHashSet();
        var recorder = new Recorder<TicketStatusChanged>();
        var connected = new ConnectedSignal();
        using var states = watcher.Crm.Realtime.ConnectionStates.Subscribe(connected.OnState);
        using var subscription = await SubscribeReadyAsync(watcher.Crm.Realtime.StatusChanges(), Observer.Create<TicketStatusChanged>(c =>
        {
            if (ours.Contains(c.TicketId))
            {
                recorder.OnNext(c);
            }
        }));

        TicketStatus[] cycle = [TicketStatus.Open, TicketStatus.Pending, TicketStatus.OnHold];
        var current = tickets.ToDictionary(t => t.Id, _ => TicketStatus.New);
        var expected = new List<(Guid Ticket, TicketStatus From, TicketStatus To)>();
        var drops = 0;
        for (var i = 0; i < Changes; i++)
        {
            var ticket = tickets[i % tickets.Count].Id;
            var to = cycle[(i / tickets.Count) % cycle.Length];
            await agent.Crm.Tickets.UpdateAsync(ticket, new TicketPatch { Status = to }, cancellationToken: Ct);
            expected.Add((ticket, current[ticket], to));
            current[ticket] = to;
            if (i % 70 == 35)
            {
                // Drop only a live socket, so every drop really cuts the subscriber off mid-stream.
                await connected.WaitAsync();
                if (devStack.Server.DropRealtimeConnections() > 0)
                {
                    drops++;
                }
            }
        }

        var received = await recorder.TakeAsync(Changes);
        Assert.True(drops >= 5, $"only {drops} drops");
        Assert.Equal(expected, received.Select(r => (r.TicketId, r.From, r.To)));
        Assert.Equal(Changes, received.Select(r => r.EventId).Distinct().Count());
        Assert.True(received.Zip(received.Skip(1)).All(p => p.First.EventId < p.Second.EventId));

        // Nothing extra is pending: the next item is a fresh change, not a late duplicate.
        await agent.Crm.Tickets.UpdateAsync(tickets[0].Id, new TicketPatch { Status = TicketStatus.Solved }, cancellationToken: Ct);
        var marker = await recorder.NextAsync();
        Assert.Equal((tickets[0].Id, TicketStatus.Solved), (marker.TicketId, marker.To));
    }

    [Fact]
    public async Task SlaBreaches_deliver_each_breach_once_across_dropped_connections_and_only_to_staff_who_see_the_ticket()
    {
        const int Tickets = 24;
        var queue = await devStack.CreateQueueAsync();
        var otherQueue = await devStack.CreateQueueAsync();
        var alice = await devStack.CreateUserAsync(UserRole.Customer);
        var bob = await devStack.CreateUserAsync(UserRole.Customer);
        var watcher = await devStack.CreateUserAsync(UserRole.Agent, queue.Id);
        var outsider = await devStack.CreateUserAsync(UserRole.Agent, otherQueue.Id);
        var admin = await devStack.CreateUserAsync(UserRole.Admin);
        var marker = "breach" + Guid.NewGuid().ToString("N")[..10];
        // A minute to the first reply, for this test's tickets only (a marker tag).
        var policy = await admin.Crm.Sla.CreatePolicyAsync(new AutoCrm.Sdk.Sla.NewSlaPolicy
        {
            Name = "Breaches " + marker,
            Position = -1000,
            Conditions = AutoCrm.Sdk.Automation.TicketConditions.AllOf(AutoCrm.Sdk.Automation.ConditionField.Tags.Contains(marker)),
            Targets = new Dictionary<string, AutoCrm.Sdk.Sla.SlaTargets> { ["normal"] = new() { FirstReply = 1, Resolution = 100_000 } },
        }, Ct);
        try
        {
            var tickets = new List<Ticket>();
            for (var i = 0; i < Tickets; i++)
            {
                tickets.Add(await devStack.Service.Tickets.CreateAsync(
                    new NewTicket { Subject = $"Breach {i} {marker}", QueueId = queue.Id, RequesterId = alice.Id, Tags = [marker] }, Ct));
            }

            var ours = tickets.Select(t => t.Id).ToHashSet();
            var breaches = new Recorder<SlaBreach>();
            var outsiderBreaches = new Recorder<SlaBreach>();
            var bobBreaches = new Recorder<SlaBreach>();
            var bobStatuses = new Recorder<TicketStatusChanged>();
            var connected = new ConnectedSignal();
            using var states = watcher.Crm.Realtime.ConnectionStates.Subscribe(connected.OnState);
            using var watching = await SubscribeReadyAsync(watcher.Crm.Realtime.SlaBreaches(queue.Id), Observer.Create<SlaBreach>(b =>
            {
                if (ours.Contains(b.TicketId))
                {
                    breaches.OnNext(b);
                }
            }));
            using var outside = await SubscribeReadyAsync(outsider.Crm.Realtime.SlaBreaches(), outsiderBreaches);
            using var bobWatching = await SubscribeReadyAsync(bob.Crm.Realtime.SlaBreaches(), bobBreaches);
            using var bobMarker = await SubscribeReadyAsync(bob.Crm.Realtime.StatusChanges(), bobStatuses);

            // The scheduler runs once per ticket, just after its first reply was due, and the sockets drop between runs.
            var drops = 0;
            for (var i = 0; i < Tickets; i++)
            {
                await RunSchedulerAsync(tickets[i].CreatedAt.AddMinutes(1).AddMilliseconds(1));
                if (i % 4 == 1)
                {
                    await connected.WaitAsync();
                    if (devStack.Server.DropRealtimeConnections() > 0)
                    {
                        drops++;
                    }
                }
            }

            // After the last drop the client reconnects with backoff and catches up: on a loaded machine that can take
            // longer than one event's usual wait, so wait for the whole set generously (an event, not a sleep).
            var received = new List<SlaBreach>();
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct))
            {
                wait.CancelAfter(TimeSpan.FromMinutes(2));
                while (received.Count < Tickets)
                {
                    received.Add(await breaches.Items.Reader.ReadAsync(wait.Token));
                }
            }

            Assert.True(drops >= 4, $"only {drops} drops");
            Assert.Equal(tickets.Select(t => t.Id).Order(), received.Select(b => b.TicketId).Order());
            Assert.All(received, b => Assert.Equal("first_reply", b.Metric));
            Assert.Equal(tickets.Select(t => t.CreatedAt.AddMinutes(1)).Order(), received.Select(b => b.DueAt).Order());
            Assert.Equal(Tickets, received.Select(b => b.EventId).Distinct().Count());

            // Markers after everything above: a breach in the outsider's own queue, and a status change of Bob's own
            // ticket (Bob's first). Up to them the outsider saw none of this queue's breaches, and Bob no breach at all.
            var outsiderTicket = await devStack.Service.Tickets.CreateAsync(
                new NewTicket { Subject = "Outsider " + marker, QueueId = otherQueue.Id, RequesterId = bob.Id, Tags = [marker] }, Ct);
            await RunSchedulerAsync(outsiderTicket.CreatedAt.AddMinutes(1).AddMilliseconds(1));
            await devStack.Service.Tickets.UpdateAsync(outsiderTicket.Id, new TicketPatch { Status = TicketStatus.Open }, cancellationToken: Ct);
            var seenByOutsider = new List<SlaBreach>();
            do
            {
                seenByOutsider.Add(await outsiderBreaches.NextAsync());
            }
            while (seenByOutsider[^1].TicketId != outsiderTicket.Id);
            Assert.DoesNotContain(seenByOutsider, b => ours.Contains(b.TicketId));
            Assert.Equal(outsiderTicket.Id, (await bobStatuses.NextAsync()).TicketId);
            Assert.Equal(0, bobBreaches.Items.Reader.Count);

            // Nothing extra is pending for the watcher either: the next breach is a fresh one.
            var last = await devStack.Service.Tickets.CreateAsync(
                new NewTicket { Subject = "Last " + marker, QueueId = queue.Id, RequesterId = alice.Id, Tags = [marker] }, Ct);
            ours.Add(last.Id);
            await RunSchedulerAsync(last.CreatedAt.AddMinutes(1).AddMilliseconds(1));
            Assert.Equal(last.Id, (await breaches.NextAsync()).TicketId);
        }
        finally
        {
            await admin.Crm.Sla.DeletePolicyAsync(policy.Id, Ct);
        }
    }

    private async Task RunSchedulerAsync(DateTimeOffset now) =>
        await devStack.Service.Rest.Rpc("run_due_automations", new System.Text.Json.Nodes.JsonObject
        {
            ["now"] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        }).ToJsonAsync(Ct);

    [Fact]
    public async Task A_broadcast_from_one_client_reaches_another_typed_and_is_acknowledged()
    {
        var alice = await devStack.CreateUserAsync(UserRole.Agent);
        var bob = await devStack.CreateUserAsync(UserRole.Agent);
        // A private staff channel (agents:<name>): the project's policies let agents in.
        var name = "agents:" + Guid.NewGuid().ToString("N")[..8];
        await using var bobRoom = bob.Crm.Realtime.Broadcast(name);
        var received = new Recorder<Typing>();
        using var subscription = await bobRoom.MessagesOf("typing", BroadcastTestJson.Default.Typing).SubscribeAsync(received, Ct).Within();
        await using var aliceRoom = alice.Crm.Realtime.Broadcast(name, new BroadcastOptions { ReceiveOwn = true });
        var own = new Recorder<BroadcastMessage>();
        using var ownSubscription = await aliceRoom.Messages.SubscribeAsync(own, Ct).Within();

        var ticket = Guid.NewGuid();
        await aliceRoom.SendAsync("typing", new Typing(ticket, "alice"), BroadcastTestJson.Default.Typing, Ct).Within();

        Assert.Equal(new Typing(ticket, "alice"), await received.NextAsync());
        var echo = await own.NextAsync();
        Assert.Equal(("typing", "alice"), (echo.Event, echo.Payload.GetProperty("who").GetString()));
    }

    [Fact]
    public async Task Ticket_viewers_are_staff_only_and_each_viewer_is_the_signed_in_user()
    {
        var customer = await devStack.CreateUserAsync(UserRole.Customer);
        var alice = await devStack.CreateUserAsync(UserRole.Agent);
        var bob = await devStack.CreateUserAsync(UserRole.Agent);
        var ticket = await devStack.Service.Tickets.CreateAsync(
            new NewTicket { Subject = "Viewers " + Guid.NewGuid().ToString("N")[..8], RequesterId = customer.Id }, Ct);

        // The private viewers channel refuses the requester: she may not see which agents are on her ticket, nor appear there.
        var refused = new Recorder<IReadOnlyList<TicketViewer>>();
        using var customerViewers = customer.Crm.Realtime.Viewers(ticket.Id).Subscribe(refused);
        Assert.IsType<CrmRealtimeException>(await refused.Error.Task.Within());
        await Assert.ThrowsAsync<CrmRealtimeException>(() => customer.Crm.Realtime.TrackViewingAsync(ticket.Id, Ct).Within());

        var seen = new Recorder<IReadOnlyList<TicketViewer>>();
        using var bobViewers = await bob.Crm.Realtime.Viewers(ticket.Id).SubscribeAsync(seen, Ct).Within();
        await using var viewing = await alice.Crm.Realtime.TrackViewingAsync(ticket.Id, Ct).Within();
        while (true)
        {
            var viewers = await seen.NextAsync();
            if (viewers.SingleOrDefault(v => v.UserId == alice.Id) is { } aliceViewing)
            {
                Assert.False(aliceViewing.IsCurrentUser);
                Assert.Equal(alice.Id.ToString(), aliceViewing.Key);
                break;
            }
        }
    }

    private async Task<Ticket> NewTicketAsync(TestUser requester, Guid queueId) =>
        await devStack.Service.Tickets.CreateAsync(
            new NewTicket { Subject = "Realtime " + Guid.NewGuid().ToString("N")[..8], QueueId = queueId, RequesterId = requester.Id },
            Ct);

    /// <summary>Subscribes and waits until the stream is live (changes after that are delivered).</summary>
    private static Task<IDisposable> SubscribeReadyAsync<T>(RealtimeStream<T> stream, IObserver<T> observer) =>
        stream.SubscribeAsync(observer, Ct).Within();

    /// <summary>Lets the test wait until the subscriber's socket is connected again.</summary>
    private sealed class ConnectedSignal
    {
        private readonly object _gate = new();
        private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnState(RealtimeConnectionState state)
        {
            lock (_gate)
            {
                if (state == RealtimeConnectionState.Connected)
                {
                    _connected.TrySetResult();
                }
                else if (_connected.Task.IsCompleted)
                {
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }

        public Task WaitAsync()
        {
            lock (_gate)
            {
                return _connected.Task.Within();
            }
        }
    }
}

/// <summary>
/// The fault test drops every realtime connection of the shared DevStack; tests whose streams are at-most-once (messages,
/// ticket changes) join this collection so they never run while it does.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealtimeDropsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Realtime connection drops";
}
