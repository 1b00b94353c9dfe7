using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>Realtime over the real AutoCRM schema and policies, in a full DevStack.</summary>
public sealed partial class AutoCrmRealtimeTests(AutoCrmStackFixture stack) : IClassFixture<AutoCrmStackFixture>
{
    private static JsonArray AllTickets() => [new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "tickets" }];

    private static string Topic() => "realtime:tickets-" + Guid.NewGuid().ToString("N")[..8];

    private static Func<ReceivedFrame, bool> TicketUpdate(string marker) =>
        f => f.Event == "postgres_changes" && (string?)f.Payload!["data"]!["record"]?["metadata"]?["marker"] == marker;

    private Task TouchAsync(Guid ticket, string marker) =>
        stack.ExecuteAsync("update public.tickets set metadata = metadata || jsonb_build_object('marker', $2::text) where id = $1", ticket, marker);

    private async Task<Guid> TicketOfAsync(Guid requester, Guid? queue = null, bool notVisibleTo = false, Guid? other = null)
    {
        var visibleToOther = other is null ? [] : await stack.VisibleTicketsAsync(other.Value);
        var mine = await stack.VisibleTicketsAsync(requester);
        foreach (var id in await stack.AllTicketsAsync())
        {
            if (mine.Contains(id) && (!notVisibleTo || !visibleToOther.Contains(id)))
            {
                return id;
            }
        }

        throw new InvalidOperationException("the seed has no such ticket");
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_customer_subscribed_to_all_tickets_gets_only_their_own(string vsn)
    {
        var carols = await TicketOfAsync(AutoCrmStackFixture.Carol, notVisibleTo: true, other: AutoCrmStackFixture.Dave);
        var daves = await TicketOfAsync(AutoCrmStackFixture.Dave, notVisibleTo: true, other: AutoCrmStackFixture.Carol);
        await using var client = await stack.ConnectAsync(vsn);
        await client.SubscribeAsync(Topic(), AllTickets(), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Carol));
        var marker = Guid.NewGuid().ToString("N");

        await TouchAsync(daves, marker);
        await TouchAsync(carols, marker);

        var change = await client.NextAsync(TicketUpdate(marker));
        var record = change.Payload!["data"]!["record"]!;
        Assert.Equal(carols.ToString(), (string?)record["id"]);
        Assert.Equal(AutoCrmStackFixture.Carol.ToString(), (string?)record["requester_id"]);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, record["tags"]!.GetValueKind());
        Assert.Equal("ticket_status", change.Payload!["data"]!["columns"]!.AsArray().Single(c => (string?)c!["name"] == "status")!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_agent_gets_the_tickets_of_their_queues_only()
    {
        // Bob works "general" only; a billing ticket not assigned to him is invisible to him and visible to Alice.
        var billing = await TicketOfAsync(AutoCrmStackFixture.Alice, notVisibleTo: true, other: AutoCrmStackFixture.Bob);
        var general = (await stack.VisibleTicketsAsync(AutoCrmStackFixture.Bob)).First();
        await using var bob = await stack.ConnectAsync();
        await using var alice = await stack.ConnectAsync("2.0.0");
        await bob.SubscribeAsync(Topic(), AllTickets(), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Bob));
        await alice.SubscribeAsync(Topic(), AllTickets(), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Alice));
        var marker = Guid.NewGuid().ToString("N");

        await TouchAsync(billing, marker);
        await TouchAsync(general, marker);

        Assert.Equal(billing.ToString(), (string?)(await alice.NextAsync(TicketUpdate(marker))).Payload!["data"]!["record"]!["id"]);
        Assert.Equal(general.ToString(), (string?)(await bob.NextAsync(TicketUpdate(marker))).Payload!["data"]!["record"]!["id"]);
    }

    [Fact]
    public async Task Switching_from_carol_to_dave_by_access_token_follows_dave()
    {
        var carols = await TicketOfAsync(AutoCrmStackFixture.Carol, notVisibleTo: true, other: AutoCrmStackFixture.Dave);
        var daves = await TicketOfAsync(AutoCrmStackFixture.Dave, notVisibleTo: true, other: AutoCrmStackFixture.Carol);
        await using var client = await stack.ConnectAsync("2.0.0");
        var topic = Topic();
        var (joinRef, _) = await client.SubscribeAsync(topic, AllTickets(), AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Carol));

        await client.SendAsync(joinRef, null, topic, "access_token", new JsonObject { ["access_token"] = AutoCrmStackFixture.TokenFor(AutoCrmStackFixture.Dave) });
        await client.SendAsync(null, "hb", "phoenix", "heartbeat", new JsonObject());
        await client.NextAsync(f => f.Ref == "hb");
        var marker = Guid.NewGuid().ToString("N");
        await TouchAsync(carols, marker);
        await TouchAsync(daves, marker);

        Assert.Equal(daves.ToString(), (string?)(await client.NextAsync(TicketUpdate(marker))).Payload!["data"]!["record"]!["id"]);
    }

    [Fact]
    public async Task DropRealtimeConnections_closes_the_devstacks_sockets()
    {
        await using var client = await stack.ConnectAsync();
        await client.JoinAsync(Topic());
        Assert.True(stack.Server.DropRealtimeConnections() >= 1);
        Assert.Null(await client.WaitClosedAsync());
    }

    [Fact]
    public async Task Soak_2000_ticket_updates_reach_20_subscribers_exactly_once_in_commit_order()
    {
        Guid[] users =
        [
            AutoCrmStackFixture.Carol, AutoCrmStackFixture.Carol, AutoCrmStackFixture.Carol, AutoCrmStackFixture.Carol,
            AutoCrmStackFixture.Dave, AutoCrmStackFixture.Dave, AutoCrmStackFixture.Dave, AutoCrmStackFixture.Dave,
            AutoCrmStackFixture.Erin, AutoCrmStackFixture.Erin, AutoCrmStackFixture.Erin, AutoCrmStackFixture.Erin,
            AutoCrmStackFixture.Alice, AutoCrmStackFixture.Alice, AutoCrmStackFixture.Alice,
            AutoCrmStackFixture.Bob, AutoCrmStackFixture.Bob, AutoCrmStackFixture.Bob,
            AutoCrmStackFixture.Admin, AutoCrmStackFixture.Admin,
        ];
        var tickets = await stack.AllTicketsAsync();
        var visible = new Dictionary<Guid, HashSet<Guid>>();
        foreach (var user in users.Distinct())
        {
            visible[user] = await stack.VisibleTicketsAsync(user);
        }

        var clients = new List<RealtimeTestClient>();
        try
        {
            for (var i = 0; i < users.Length; i++)
            {
                var client = await stack.ConnectAsync(i % 2 == 0 ? "1.0.0" : "2.0.0");
                client.StartHeartbeat();
                clients.Add(client);
                await client.SubscribeAsync(Topic(), AllTickets(), AutoCrmStackFixture.TokenFor(users[i]));
            }

            var run = Guid.NewGuid().ToString("N");
            const int Updates = 2000;
            var order = new List<(int Seq, Guid Ticket)>();
            await using (var connection = new Npgsql.NpgsqlConnection(stack.ConnectionString))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);

                // 2,000 single-row updates, 50 per transaction (the ticket triggers make each commit costly);
                // commit order, and statement order inside a transaction, is the order subscribers must see.
                const int PerTransaction = 50;
                for (var first = 0; first < Updates; first += PerTransaction)
                {
                    await using var batch = new Npgsql.NpgsqlBatch(connection);
                    batch.BatchCommands.Add(new Npgsql.NpgsqlBatchCommand("begin"));
                    for (var seq = first; seq < first + PerTransaction; seq++)
                    {
                        var ticket = tickets[seq % tickets.Count];
                        var command = new Npgsql.NpgsqlBatchCommand(
                            "update public.tickets set metadata = metadata || jsonb_build_object('run', $3::text, 'seq', $2::int) where id = $1");
                        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = ticket });
                        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = seq });
                        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = run });
                        batch.BatchCommands.Add(command);
                        order.Add((seq, ticket));
                    }

                    batch.BatchCommands.Add(new Npgsql.NpgsqlBatchCommand("commit"));
                    await batch.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
                }

                // Sentinel: one statement touching every ticket; each subscriber sees at least one.
                await using var sentinel = new Npgsql.NpgsqlCommand(
                    "update public.tickets set metadata = metadata || jsonb_build_object('run', $1::text, 'seq', -1)", connection);
                sentinel.Parameters.Add(new Npgsql.NpgsqlParameter { Value = run });
                await sentinel.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            for (var i = 0; i < clients.Count; i++)
            {
                var expected = order.Where(o => visible[users[i]].Contains(o.Ticket)).Select(o => o.Seq).ToList();
                var received = new List<int>();
                while (true)
                {
                    var frame = await clients[i].NextAsync(
                        f => f.Event == "postgres_changes" && (string?)f.Payload!["data"]!["record"]?["metadata"]?["run"] == run,
                        TimeSpan.FromSeconds(60));
                    var record = frame.Payload!["data"]!["record"]!;
                    Assert.Contains(Guid.Parse((string)record["id"]!), visible[users[i]]);
                    var seq = (int)record["metadata"]!["seq"]!;
                    if (seq == -1)
                    {
                        break;
                    }

                    received.Add(seq);
                }

                Assert.Equal(expected, received);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
