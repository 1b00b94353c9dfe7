using System.Threading.Channels;
using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>
/// Automatic routing under concurrency: 50 agents with capacity 3 in a round-robin and a least-loaded queue, 2,000
/// tickets arriving (some needing skills only some agents have) while agents go online, away and offline at random
/// and solve their tickets, every operation of a step at the same time on its own connection (as the REST layer runs
/// them: role authenticated and the caller's JWT claims per transaction). After every step the database is checked: no
/// agent holds more than their capacity, every load counter equals a real count, no ticket was assigned twice or to an
/// agent who may not hold it, and no ticket waits while an online agent could take it. Then everyone comes online and
/// works the backlog off: every ticket ends up assigned, once, to an eligible agent. The workload comes from a fixed
/// seed; only the interleaving varies from run to run, and the checks hold for every interleaving.
/// </summary>
public sealed class RoutingConcurrencyTests(SharedCluster shared)
{
    private const int Agents = 50;
    private const int Capacity = 3;
    private const int Tickets = 2000;
    private const int TicketsPerStep = 20;
    private const int Connections = 12;
    private static readonly Guid Customer = new("72000000-0000-4000-8000-000000000001");
    private static readonly Guid RoundRobin = new("73000000-0000-4000-8000-000000000001");
    private static readonly Guid LeastLoaded = new("73000000-0000-4000-8000-000000000002");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Guid Agent(int i) => new($"71000000-0000-4000-8000-{i:D12}");

    [Fact]
    public async Task Fifty_agents_with_capacity_3_never_exceed_it_while_2000_tickets_arrive_and_agents_come_and_go()
    {
        var db = await shared.CreateMigratedDatabaseAsync("routerace", cancellationToken: Ct);
        await ArrangeAsync(db);
        var random = new Random(1906);
        var authenticator = new NpgsqlConnectionStringBuilder(db) { Username = "authenticator", Password = "postgres", Pooling = false }.ConnectionString;
        var pool = Channel.CreateUnbounded<NpgsqlConnection>();
        var all = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                var connection = new NpgsqlConnection(authenticator);
                await connection.OpenAsync(Ct);
                all.Add(connection);
                pool.Writer.TryWrite(connection);
            }

            var created = 0;
            var steps = 0;
            while (created < Tickets)
            {
                // One step: tickets arrive, a few agents change status, some solve a ticket; all at once.
                var operations = new List<Func<NpgsqlConnection, Task>>();
                for (var n = 0; n < TicketsPerStep && created < Tickets; n++, created++)
                {
                    operations.Add(NewTicket(random, created));
                }

                foreach (var agent in Pick(random, 6))
                {
                    var status = random.Next(10) switch { < 6 => "online", < 8 => "away", _ => "offline" };
                    operations.Add(c => AsUserAsync(c, agent, "select public.set_agent_status($1::public.agent_status)", status));
                }

                foreach (var agent in Pick(random, 14))
                {
                    operations.Add(c => AsUserAsync(c, agent, """
                        update public.tickets set status = 'solved'
                         where id = (select id from public.tickets where assignee_id = auth.uid() and status = 'open'
                                      order by created_at, id limit 1)
                        """));
                }

                Shuffle(random, operations);
                await RunTogetherAsync(pool, operations);
                steps++;
                await AssertInvariantsAsync(db, $"after step {steps}");
            }

            // Everyone online; agents work their tickets off until nothing waits.
            await RunTogetherAsync(pool, [.. Enumerable.Range(0, Agents).Select(i => (Func<NpgsqlConnection, Task>)(c =>
                AsUserAsync(c, Agent(i), "select public.set_agent_status('online')")))]);
            await AssertInvariantsAsync(db, "when everyone is online");
            for (var round = 1; await WaitingAsync(db) > 0; round++)
            {
                Assert.True(round <= 200, $"tickets still waiting after {round} rounds of solving");
                await RunTogetherAsync(pool, [.. Enumerable.Range(0, Agents).Select(i => (Func<NpgsqlConnection, Task>)(c =>
                    AsUserAsync(c, Agent(i), "update public.tickets set status = 'solved' where assignee_id = auth.uid() and status = 'open'")))]);
                await AssertInvariantsAsync(db, $"after drain round {round}");
            }
        }
        finally
        {
            foreach (var connection in all)
            {
                await connection.DisposeAsync();
            }
        }

        Assert.Equal(Tickets, await Db.ScalarAsync<long>(db, "select count(*) from public.tickets", Ct));
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "select count(*) from public.tickets where assignee_id is null", Ct));
        Assert.Equal((long)Tickets, await Db.ScalarAsync<long>(db, $"select count(*) from ({Assignments}) a", Ct));
        // The race happened: tickets went to many agents, and many arrived while nobody had room.
        Assert.True(await Db.ScalarAsync<long>(db, "select count(distinct assignee_id) from public.tickets", Ct) >= 45);
        Assert.True(await Db.ScalarAsync<long>(db, "select count(*) from public.ticket_events where kind = 'created' and changes -> 'assignee_id' ->> 1 is null", Ct) > 100,
            "fewer than 100 tickets ever waited: the capacity limit was never under pressure");
    }

    // Every moment a ticket got an assignee: created assigned, or an assignee_changed to someone.
    private const string Assignments = """
        select ticket_id, (changes -> 'assignee_id' ->> 1)::uuid as agent
          from public.ticket_events
         where kind in ('created', 'assignee_changed') and changes -> 'assignee_id' ->> 1 is not null
        """;

    private static async Task AssertInvariantsAsync(string db, string when)
    {
        var problems = await Db.ColumnAsync(db, $"""
            with real as (
              select s.agent_id, s.open_tickets,
                     (select count(*) from public.tickets t where t.assignee_id = s.agent_id
                       and t.status in ('new', 'open', 'pending', 'on_hold')) as counted
                from public.agent_states s)
            select 'agent ' || agent_id || ' holds ' || counted || ' (capacity {Capacity})' from real where counted > {Capacity}
            union all
            select 'agent ' || agent_id || ' counter ' || open_tickets || ' but holds ' || counted from real where counted <> open_tickets
            union all
            select 'ticket ' || ticket_id || ' assigned ' || count(*) || ' times' from ({Assignments}) a group by ticket_id having count(*) > 1
            union all
            select 'ticket ' || t.id || ' held by ineligible ' || t.assignee_id
              from public.tickets t
              left join public.agent_states s on s.agent_id = t.assignee_id
             where t.assignee_id is not null
               and (s.agent_id is null or not s.skills @> t.required_skills
                    or not exists (select 1 from public.queue_members qm where qm.queue_id = t.queue_id and qm.agent_id = t.assignee_id))
            union all
            select 'ticket ' || t.id || ' waits although ' || s.agent_id || ' is online with room'
              from public.tickets t
              join public.queue_members qm on qm.queue_id = t.queue_id
              join public.agent_states s on s.agent_id = qm.agent_id
             where t.assignee_id is null and t.status in ('new', 'open')
               and s.status = 'online' and s.open_tickets < {Capacity} and s.skills @> t.required_skills
            """, Ct);
        Assert.True(problems.Count == 0, $"{when}: {string.Join("; ", problems.Take(10))}");
    }

    private static Task<long> WaitingAsync(string db) =>
        Db.ScalarAsync<long>(db, "select count(*) from public.tickets where assignee_id is null", Ct);

    // A ticket: from the customer (portal), or, when it needs skills, from the service role (an integration that knows).
    private static Func<NpgsqlConnection, Task> NewTicket(Random random, int n)
    {
        var queue = random.Next(2) == 0 ? RoundRobin : LeastLoaded;
        var roll = random.Next(100);
        string[] skills = roll switch { < 3 => ["billing", "spanish"], < 15 => ["spanish"], < 25 => ["billing"], _ => [] };
        var priority = (new[] { "low", "normal", "normal", "high", "urgent" })[random.Next(5)];
        return skills.Length == 0
            ? c => AsUserAsync(c, Customer,
                "insert into public.tickets (subject, requester_id, queue_id, priority) values ($1, auth.uid(), $2, $3::public.ticket_priority)",
                $"ticket {n}", queue, priority)
            : c => AsServiceAsync(c,
                "insert into public.tickets (subject, requester_id, queue_id, priority, required_skills) values ($1, $2, $3, $4::public.ticket_priority, $5)",
                $"ticket {n}", Customer, queue, priority, skills);
    }

    private static Guid[] Pick(Random random, int count) =>
        [.. Enumerable.Range(0, Agents).OrderBy(_ => random.Next()).Take(count).Select(Agent)];

    private static void Shuffle<T>(Random random, List<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static async Task RunTogetherAsync(Channel<NpgsqlConnection> pool, IReadOnlyList<Func<NpgsqlConnection, Task>> operations)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = operations.Select(async operation =>
        {
            await start.Task;
            var connection = await pool.Reader.ReadAsync(Ct);
            try
            {
                await operation(connection);
            }
            finally
            {
                pool.Writer.TryWrite(connection);
            }
        }).ToArray();
        start.SetResult();
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromMinutes(2), Ct);
    }

    private static Task AsUserAsync(NpgsqlConnection connection, Guid user, string sql, params object[] values) =>
        InTransactionAsync(connection, $$"""{"sub":"{{user}}","role":"authenticated","aud":"authenticated"}""", "authenticated", sql, values);

    private static Task AsServiceAsync(NpgsqlConnection connection, string sql, params object[] values) =>
        InTransactionAsync(connection, """{"role":"service_role"}""", "service_role", sql, values);

    private static async Task InTransactionAsync(NpgsqlConnection connection, string claims, string role, string sql, object[] values)
    {
        await using var tx = await connection.BeginTransactionAsync(Ct);
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"set local role {role}"),
                new NpgsqlBatchCommand("select set_config('request.jwt.claims', $1, true)") { Parameters = { new NpgsqlParameter { Value = claims } } },
            },
        };
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        batch.BatchCommands.Add(command);
        await batch.ExecuteNonQueryAsync(Ct);
        await tx.CommitAsync(Ct);
    }

    private static async Task ArrangeAsync(string db)
    {
        // Agents 0-29 work the round-robin queue, 20-49 the least-loaded one (20-29 both); every third speaks Spanish,
        // every fifth does billing. All start offline.
        await Db.ExecuteAsync(db, $"""
            insert into auth.users (id, aud, role, email)
            select ('71000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'authenticated', 'authenticated', 'agent' || i || '@test.local'
              from generate_series(0, {Agents - 1}) i;
            insert into auth.users (id, aud, role, email) values ('{Customer}', 'authenticated', 'authenticated', 'customer@test.local');
            update public.profiles set role = 'agent' where id::text like '71000000-%';
            insert into public.queues (id, slug, name) values ('{RoundRobin}', 'rr', 'Round robin'), ('{LeastLoaded}', 'll', 'Least loaded');
            insert into public.queue_members (queue_id, agent_id)
            select '{RoundRobin}'::uuid, ('71000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid from generate_series(0, 29) i
            union all
            select '{LeastLoaded}'::uuid, ('71000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid from generate_series(20, {Agents - 1}) i;
            select public.set_agent_skills(('71000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
                     case when i % 3 = 0 then array['spanish'] else array[]::text[] end
                     || case when i % 5 = 0 then array['billing'] else array[]::text[] end)
              from generate_series(0, {Agents - 1}) i;
            select public.set_routing_defaults({Capacity});
            select public.set_queue_routing('{RoundRobin}', 'round_robin');
            select public.set_queue_routing('{LeastLoaded}', 'least_loaded');
            """, Ct);
    }
}
