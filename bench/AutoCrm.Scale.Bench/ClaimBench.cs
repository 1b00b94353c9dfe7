using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AutoCrm.DataGenerator;
using AutoCrm.DevStack;
using Npgsql;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// Queue claims, 50 agents closed-loop, on a copy of the bench database with a backlog of waiting tickets added:
/// bare <c>update … where id = (select … for update skip locked)</c> on the same table (superuser, triggers off: the same
/// indexes and WAL, nothing else), the same on a plain table holding only what a claim needs, <c>claim_next_ticket</c> as
/// SQL (each agent's claims set per transaction, as PostgREST does), and <c>rpc('claim_next_ticket')</c> through the SDK and
/// the DevStack. Every claimed ticket id is kept: a ticket claimed twice would be counted.
/// </summary>
internal static class ClaimBench
{
    public static async Task RunAsync(ScaleCluster cluster, int tickets, BenchSettings settings, CancellationToken ct)
    {
        var generator = BenchData.Generator(tickets);
        Console.WriteLine($"## Claims at {tickets:N0} tickets + {settings.Backlog:N0} waiting ({settings.Clients} agents, {settings.Seconds} s per path; started {DateTime.UtcNow:u})");
        Console.WriteLine();
        Console.WriteLine(settings.PlainFloor
            ? "| side | path | claims/s | vs plain table (same side) | p50 / p95 / p99 ms | double claims | load avg |"
            : "| side | path | claims/s | vs bare (same side) | p50 / p95 / p99 ms | double claims | load avg |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---|");
        foreach (var schema in settings.AfterOnly ? new[] { Schema.After } : new[] { Schema.Before, Schema.After })
        {
            var database = await PrepareAsync(cluster, tickets, schema, settings.Backlog, generator, settings.Reuse, ct);
            var connection = cluster.ConnectionString(database);
            await using (var server = await cluster.ServeAsync(database, schema, ct))
            {
                var agents = generator.Data.Agents.Take(settings.Clients).ToList();
                var seen = new ConcurrentDictionary<Guid, int>();
                var duration = TimeSpan.FromSeconds(settings.Seconds);
                var side = schema.ToString().ToLowerInvariant();

                // The bare update on tickets has no index for its order over several queues at 10^6: its 50 sessions
                // scan for seconds each and outlast their window, loading the paths after them; --plain-floor leaves it
                // out and compares every path with the plain table (the floor the goals are read against).
                Latencies? bare = null;
                if (!settings.PlainFloor)
                {
                    bare = await BareAsync(connection, "public.tickets", generator.Data, agents, duration, seen, ct);
                    Row(side, "bare SKIP LOCKED update on tickets (superuser, triggers off)", bare, bare, seen);
                }

                var plainSeen = new ConcurrentDictionary<Guid, int>();
                var plain = await BareAsync(connection, "bench_plain_claims", generator.Data, agents, duration, plainSeen, ct);
                var reference = bare ?? plain;
                Row(side, "bare SKIP LOCKED update on a plain table (id, queue, priority, times, status, assignee)", plain, reference, plainSeen);
                var direct = await DirectAsync(connection, agents, duration, seen, ct);
                Row(side, "claim_next_ticket() as SQL, claims set per transaction", direct, reference, seen);
                var http = await FullStackAsync(server, agents, generator.Options.Password, duration, seen, ct);
                Row(side, "rpc('claim_next_ticket') through the SDK and the DevStack", http, reference, seen);
            }

            if (!settings.Reuse)
            {
                await cluster.DropAsync(database, ct);
            }
        }
    }

    /// <summary>Claims for <c>--minutes</c> through <c>claim_next_ticket()</c> as SQL, printing each minute's rate with the
    /// dead tuples and the claim indexes' sizes: does the claimable index degrade as dead tuples pile up?</summary>
    public static async Task SoakAsync(ScaleCluster cluster, int tickets, BenchSettings settings, CancellationToken ct)
    {
        var generator = BenchData.Generator(tickets);
        var database = await PrepareAsync(cluster, tickets, Schema.After, settings.Backlog, generator, settings.Reuse, ct);
        var connection = cluster.ConnectionString(database);
        var agents = generator.Data.Agents.Take(settings.Clients).ToList();
        var seen = new ConcurrentDictionary<Guid, int>();
        Console.WriteLine($"## Claim soak at {tickets:N0} tickets + {settings.Backlog:N0} waiting: claim_next_ticket() as SQL, {settings.Clients} agents, {settings.Minutes} minutes (started {DateTime.UtcNow:u})");
        Console.WriteLine();
        Console.WriteLine("| minute | claims/s | p95 ms | dead tuples (tickets) | autovacuums so far | claim indexes (MB) | load avg |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---|");
        var rates = new List<double>();
        for (var minute = 1; minute <= settings.Minutes; minute++)
        {
            var result = await DirectAsync(connection, agents, TimeSpan.FromMinutes(1), seen, ct);
            rates.Add(result.Throughput);
            await using var stats = new NpgsqlConnection(connection);
            await stats.OpenAsync(ct);
            await using var command = new NpgsqlCommand("""
                select n_dead_tup, autovacuum_count,
                       (pg_relation_size('public.tickets_claimable_idx') + coalesce(pg_relation_size(to_regclass('public.tickets_claim_order_idx')), 0)) / 1048576.0
                  from pg_stat_user_tables where relid = 'public.tickets'::regclass
                """, stats);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {minute} | {result.Throughput:F0} | {result.P95:F1} | {reader.GetInt64(0):N0} | {reader.GetInt64(1)} | {reader.GetDecimal(2):F1} | {LoadAverage.Now} |"));
        }

        var doubles = seen.Count(kv => kv.Value > 1);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"last minute / first minute: {rates[^1] / rates[0]:F2} (goal ≥ 0.9); {seen.Count:N0} tickets claimed, {doubles} twice"));
        if (Interlocked.Exchange(ref s_empty, 0) is > 0 and var empty)
        {
            Console.WriteLine($"warning: {empty} claims found nothing to claim: the backlog ran out, so the ratio is not meaningful; raise --backlog");
        }

        if (!settings.Reuse)
        {
            await cluster.DropAsync(database, ct);
        }
    }

    private static int s_empty;
    private static int s_failed;

    private static void Row(string side, string path, Latencies result, Latencies bare, ConcurrentDictionary<Guid, int> seen)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {side} | {path} | {result.Throughput:F0} | {result.Throughput / bare.Throughput:F2} | {result.Triple} | {seen.Count(kv => kv.Value > 1)} | {LoadAverage.Now} |"));
        if (Interlocked.Exchange(ref s_empty, 0) is > 0 and var empty)
        {
            Console.WriteLine($"|  | (warning: {empty} claims found nothing to claim; raise --backlog) |  |  |  |  |  |");
        }

        if (Interlocked.Exchange(ref s_failed, 0) is > 0 and var failed)
        {
            Console.WriteLine($"|  | ({failed} claims failed, e.g. the API's statement timeout: not counted in claims/s or the latencies) |  |  |  |  |  |");
        }
    }

    /// <summary>
    /// A copy of the bench database with <paramref name="backlog"/> more waiting tickets (unassigned, new), spread over the
    /// queues by their volume. With <paramref name="reuse"/> an existing copy of the same size and backlog is used as it is
    /// (<c>claims-prepare</c> builds one ahead of a quiet-machine run: preparing 10^6 tickets with a large backlog takes
    /// many minutes, which need not be quiet). A copy is built under another name and renamed when complete, so a failed
    /// preparation never leaves one that looks ready.
    /// </summary>
    internal static async Task<string> PrepareAsync(ScaleCluster cluster, int tickets, Schema schema, int backlog, CrmDataGenerator generator, bool reuse, CancellationToken ct)
    {
        var database = string.Create(CultureInfo.InvariantCulture, $"scale_claims_{tickets}_{schema.ToString().ToLowerInvariant()}_{backlog}");
        if (reuse && await cluster.ExistsAsync(database, ct))
        {
            Console.WriteLine($"reusing {database} as it is (claims and soaks already run on it have used some of its backlog)");
            Console.WriteLine();
            return database;
        }

        var building = database + "_building";
        var prepare = Stopwatch.StartNew();
        await cluster.DropAsync(database, ct);
        await cluster.DropAsync(building, ct);
        await cluster.CreateAsync(building, ScaleCluster.DatabaseName(tickets, schema), ct);
        var connection = cluster.ConnectionString(building);
        var slots = generator.Data.Queues.SelectMany(q => Enumerable.Repeat(q.Id, Math.Max(1, (int)Math.Round(q.Share * 200)))).ToArray();
        var customers = generator.Data.Customers.Take(1000).Select(c => c.Id).ToArray();
        await using (var db = new NpgsqlConnection(connection))
        {
            await db.OpenAsync(ct);
            await using (var replica = new NpgsqlCommand("set session_replication_role = replica", db))
            {
                await replica.ExecuteNonQueryAsync(ct);
            }

            await using (var insert = new NpgsqlCommand("""
                insert into public.tickets (id, subject, status, priority, requester_id, queue_id, created_at, updated_at)
                select gen_random_uuid(), 'Waiting ticket ' || g, 'new',
                       (array['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + g % 6]::public.ticket_priority,
                       ($2::uuid[])[1 + g % cardinality($2::uuid[])],
                       ($3::uuid[])[1 + (g::bigint * 7919) % cardinality($3::uuid[])],
                       $4::timestamptz - make_interval(secs => g), $4::timestamptz - make_interval(secs => g)
                  from generate_series(1, $1) g
                """, db) { CommandTimeout = 0 })
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = backlog });
                insert.Parameters.Add(new NpgsqlParameter { Value = customers });
                insert.Parameters.Add(new NpgsqlParameter { Value = slots });
                insert.Parameters.Add(new NpgsqlParameter { Value = DateTimeOffset.UtcNow });
                await insert.ExecuteNonQueryAsync(ct);
            }

            await using var plain = new NpgsqlCommand("""
                create table bench_plain_claims as
                  select id, queue_id, priority, created_at, status, assignee_id from public.tickets
                   where assignee_id is null and status in ('new', 'open') and queue_id is not null;
                alter table bench_plain_claims add primary key (id);
                create index on bench_plain_claims (priority desc, created_at, id) where assignee_id is null and status in ('new', 'open');
                """, db) { CommandTimeout = 0 };
            await plain.ExecuteNonQueryAsync(ct);
        }

        if (schema == Schema.After)
        {
            await ScaleCluster.ExecuteAsync(connection, "select public.refresh_generated_data()", ct);
        }

        await ScaleCluster.ExecuteAsync(connection, "vacuum (analyze) public.tickets, bench_plain_claims", ct);
        await cluster.RenameAsync(building, database, ct);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{database}: prepared in {prepare.Elapsed.TotalSeconds:F0} s; load average {LoadAverage.Now}"));
        return database;
    }

    private static async Task<Latencies> BareAsync(string connection, string table, CrmDataSet data, IReadOnlyList<GeneratedUser> agents, TimeSpan duration,
        ConcurrentDictionary<Guid, int> seen, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(connection) { MaxPoolSize = agents.Count + 5, MaxAutoPrepare = 20, AutoPrepareMinUsages = 1, Options = "-c session_replication_role=replica" };
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        var sql = $"""
            update {table} t set assignee_id = $1, status = 'open'
             where t.id = (select c.id from {table} c
                            where c.assignee_id is null and c.status in ('new', 'open') and c.queue_id = any ($2)
                            order by c.priority desc, c.created_at, c.id
                            limit 1
                            for update skip locked)
            returning t.id
            """;
        return await ClosedLoopAsync(agents, duration, async (agent, session, token) =>
        {
            await using var command = session.CreateCommand();
            command.CommandText = sql;
            command.Parameters.Add(new NpgsqlParameter { Value = agent.Id });
            command.Parameters.Add(new NpgsqlParameter { Value = data.AgentQueues[agent.Id].ToArray() });
            return await command.ExecuteScalarAsync(token) is Guid id ? id : null;
        }, source, seen, ct);
    }

    internal static async Task<Latencies> DirectAsync(string connection, IReadOnlyList<GeneratedUser> agents, TimeSpan duration, ConcurrentDictionary<Guid, int> seen, CancellationToken ct,
        string function = "public.claim_next_ticket")
    {
        var builder = new NpgsqlConnectionStringBuilder(connection) { MaxPoolSize = agents.Count + 5, MaxAutoPrepare = 20, AutoPrepareMinUsages = 1 };
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        return await ClosedLoopAsync(agents, duration, async (agent, session, token) =>
        {
            await using var batch = session.CreateBatch();
            var setup = new NpgsqlBatchCommand("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)");
            setup.Parameters.Add(new NpgsqlParameter { Value = $$"""{"sub":"{{agent.Id}}","role":"authenticated"}""" });
            batch.BatchCommands.Add(setup);
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"select id from {function}()"));
            await using var reader = await batch.ExecuteReaderAsync(token);
            await reader.NextResultAsync(token);
            return await reader.ReadAsync(token) ? reader.GetGuid(0) : null;
        }, source, seen, ct);
    }

    private static async Task<Latencies> FullStackAsync(DevStackServer server, IReadOnlyList<GeneratedUser> agents, string password, TimeSpan duration,
        ConcurrentDictionary<Guid, int> seen, CancellationToken ct)
    {
        var actors = new List<Actor>();
        try
        {
            foreach (var agent in agents)
            {
                actors.Add(await Actor.SignInAsync(server, "agent", agent, password, ct));
            }

            var samples = new List<double>[actors.Count];
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(actors.Select(async (actor, i) =>
            {
                var mine = samples[i] = [];
                while (clock.Elapsed < duration)
                {
                    var start = Stopwatch.GetTimestamp();
                    AutoCrm.Sdk.Tickets.Ticket? ticket;
                    try
                    {
                        ticket = await actor.Client.Queues.ClaimNextAsync(cancellationToken: ct);
                    }
                    catch (AutoCrm.Sdk.CrmException)
                    {
                        // The baseline schema's claim can outlast the API's statement timeout at 10^6 tickets.
                        Interlocked.Increment(ref s_failed);
                        continue;
                    }

                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (ticket is not null)
                    {
                        seen.AddOrUpdate(ticket.Id, 1, (_, n) => n + 1);
                    }
                    else
                    {
                        Interlocked.Increment(ref s_empty);
                    }
                }
            }));
            return new Latencies([.. samples.SelectMany(s => s).Order()], clock.Elapsed.TotalSeconds);
        }
        finally
        {
            actors.ForEach(a => a.Dispose());
        }
    }

    private static async Task<Latencies> ClosedLoopAsync(IReadOnlyList<GeneratedUser> agents, TimeSpan duration,
        Func<GeneratedUser, NpgsqlConnection, CancellationToken, Task<Guid?>> claim, NpgsqlDataSource source, ConcurrentDictionary<Guid, int> seen, CancellationToken ct)
    {
        var samples = new List<double>[agents.Count];
        var sessions = new NpgsqlConnection[agents.Count];
        for (var i = 0; i < agents.Count; i++)
        {
            sessions[i] = await source.OpenConnectionAsync(ct);
        }

        try
        {
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(agents.Select(async (agent, i) =>
            {
                var mine = samples[i] = [];
                while (clock.Elapsed < duration)
                {
                    var start = Stopwatch.GetTimestamp();
                    var id = await claim(agent, sessions[i], ct);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (id is { } claimed)
                    {
                        seen.AddOrUpdate(claimed, 1, (_, n) => n + 1);
                    }
                    else
                    {
                        Interlocked.Increment(ref s_empty);
                    }
                }
            }));
            return new Latencies([.. samples.SelectMany(s => s).Order()], clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }
}
