using System.Globalization;
using AutoCrm.DevStack;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// Every list shape through the full stack (SDK → DevStack → PostgreSQL, row-level security on), before and after,
/// side by side: one client, then N concurrent clients (closed loop), and PostgreSQL's own planning + execution time
/// for the same request (EXPLAIN ANALYZE through PostgREST's plan media type).
/// </summary>
internal static class ListBench
{
    public static async Task RunAsync(ScaleCluster cluster, int tickets, BenchSettings settings, CancellationToken ct)
    {
        var generator = BenchData.Generator(tickets);
        var data = generator.Data;
        var sides = new Dictionary<Schema, (DevStackServer Server, ShapeContext Context)>();
        try
        {
            foreach (var schema in new[] { Schema.Before, Schema.After })
            {
                var database = ScaleCluster.DatabaseName(tickets, schema);
                var server = await cluster.ServeAsync(database, schema, ct);
                var connection = cluster.ConnectionString(database);
                var busyQueue = data.Queues[0].Id;
                var agentUser = data.Agents.First(a => a.Id == data.Queues[0].AgentIds[0]);
                var heavy = data.Customers[0];
                var typical = data.Customers[data.Customers.Count / 2];
                var password = generator.Options.Password;
                var cursors = new Dictionary<string, (DateTimeOffset, Guid)>();
                foreach (var shape in TicketListShapes.All.Where(s => s.Deep is not null))
                {
                    var sql = shape.Deep!.Query(tickets);
                    cursors[shape.Name] = sql.Contains("$1", StringComparison.Ordinal) ? await CursorAsync(connection, sql, ct, busyQueue) : await CursorAsync(connection, sql, ct);
                }

                var context = new ShapeContext(
                    schema,
                    await Actor.SignInAsync(server, "admin", data.Admins[0], password, ct),
                    await Actor.SignInAsync(server, "agent", agentUser, password, ct),
                    await Actor.SignInAsync(server, "customer", heavy, password, ct),
                    await Actor.SignInAsync(server, "customer2", typical, password, ct),
                    new ShapeFacts(busyQueue, agentUser.Id, heavy.Id, typical.Id, generator.Options.End),
                    await ScaleCluster.ScalarAsync<long>(connection,
                        "select number from public.tickets where queue_id = $1 order by created_at desc, id desc offset 1000 limit 1", ct, busyQueue),
                    cursors);
                sides[schema] = (server, context);
            }

            Console.WriteLine($"## List shapes at {tickets:N0} tickets ({settings.Clients} concurrent clients, {settings.Seconds} s per cell; started {DateTime.UtcNow:u}, load average {LoadAverage.Now})");
            Console.WriteLine();
            Console.WriteLine("ms; 1 client and N clients: p50 / p95 / p99 of the HTTP call through the SDK; db: PostgreSQL planning + execution (EXPLAIN ANALYZE of the same request), p50 / p95.");
            Console.WriteLine();
            Console.WriteLine($"| shape | role | side | rows | 1 client | db | {settings.Clients} clients | req/s | load avg |");
            Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---|");
            var summary = new List<string>();
            foreach (var shape in ListShapes.All.Where(s => settings.Matches(s.Name)))
            {
                var cells = new Dictionary<Schema, (Latencies Single, Latencies Many, Latencies Db)>();
                foreach (var schema in new[] { Schema.Before, Schema.After })
                {
                    var context = sides[schema].Context;
                    var rows = 0;
                    for (var i = 0; i < 5; i++)
                    {
                        try
                        {
                            rows = await shape.Run(context, ct);
                        }
                        catch (AutoCrm.Sdk.CrmException)
                        {
                            rows = -1;
                        }
                    }

                    var single = await Load.RunAsync((_, t) => shape.Run(context, t), 1, TimeSpan.FromSeconds(settings.Seconds), 20, ct);
                    var db = await DatabaseTimeAsync(shape, context, ct);
                    var many = await Load.RunAsync((_, t) => shape.Run(context, t), settings.Clients, TimeSpan.FromSeconds(settings.Seconds), 2, ct);
                    cells[schema] = (single, many, db);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {shape.Name} | {shape.Role} | {schema.ToString().ToLowerInvariant()} | {rows} | {single.Triple} | {db.P50:F1} / {db.P95:F1} | {many.Triple} | {many.Throughput:F0} | {LoadAverage.Now} |"));
                }

                var b = cells[Schema.Before];
                var a = cells[Schema.After];
                summary.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {shape.Name} | {b.Single.P95:F1} | {a.Single.P95:F1} | {a.Single.P95 / b.Single.P95:F2} | {a.Db.P95:F1} | {b.Many.P95:F1} | {a.Many.P95:F1} | {a.Many.P95 / b.Many.P95:F2} | {LoadAverage.Now} |"));
            }

            Console.WriteLine();
            Console.WriteLine($"Summary (p95 ms; goal after: 1 client ≤ 30, {settings.Clients} clients ≤ 100, queue_stats ≤ 20, subject search ≤ 50):");
            Console.WriteLine();
            Console.WriteLine($"| shape | before 1 client | after 1 client | after/before | after db | before {settings.Clients} clients | after {settings.Clients} clients | after/before | load avg |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
            summary.ForEach(Console.WriteLine);
        }
        finally
        {
            foreach (var (server, context) in sides.Values)
            {
                foreach (var actor in new[] { context.Admin, context.Agent, context.HeavyCustomer, context.TypicalCustomer })
                {
                    actor.Dispose();
                }

                await server.DisposeAsync();
            }
        }
    }

    private static async Task<Latencies> DatabaseTimeAsync(BenchShape shape, ShapeContext context, CancellationToken ct)
    {
        var samples = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            var record = RecordedRequest.Begin();
            try
            {
                await shape.Run(context, ct);
            }
            catch (AutoCrm.Sdk.CrmException)
            {
                // The request is recorded before it fails.
            }
            finally
            {
                RecordedRequest.End();
            }

            try
            {
                samples.Add((await PlanProbe.DatabaseTimeAsync(record, ct)).Milliseconds);
            }
            catch (InvalidOperationException)
            {
                // Cancelled by the statement timeout: the plan is not known, the time is at least the timeout.
                samples.Add(double.PositiveInfinity);
            }
        }

        return new Latencies([.. samples.Order()], 1);
    }

    private static async Task<(DateTimeOffset, Guid)> CursorAsync(string connectionString, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = p });
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return (DateTimeOffset.UnixEpoch, Guid.Empty);
        }

        return (reader.GetFieldValue<DateTimeOffset>(0), reader.GetGuid(1));
    }
}
