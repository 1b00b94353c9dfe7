using System.Globalization;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// The write path through the SDK and the DevStack at two sizes (e.g. 1 000 and 1 000 000 tickets) on copies of the
/// after databases: a customer files a ticket with a description; an agent replies to a ticket of their queue; an agent
/// changes a ticket's priority and tags. One client, closed loop; the goal is the same cost at both sizes.
/// </summary>
internal static class WriteBench
{
    public static async Task RunAsync(ScaleCluster cluster, IReadOnlyList<int> sizes, BenchSettings settings, CancellationToken ct)
    {
        Console.WriteLine($"## Write path ({settings.Seconds} s per cell, one client; started {DateTime.UtcNow:u})");
        Console.WriteLine();
        Console.WriteLine("| operation | tickets | p50 / p95 / p99 ms | ops/s | load avg |");
        Console.WriteLine("|---|---:|---:|---:|---|");
        var results = new Dictionary<(string, int), Latencies>();
        foreach (var size in sizes)
        {
            var generator = BenchData.Generator(size);
            var data = generator.Data;
            var database = $"scale_writes_{size}";
            await cluster.DropAsync(database, ct);
            await cluster.CreateAsync(database, ScaleCluster.DatabaseName(size, Schema.After), ct);
            try
            {
                await using var server = await cluster.ServeAsync(database, Schema.After, ct);
                var queue = data.Queues[0];
                using var customer = await Actor.SignInAsync(server, "customer", data.Customers[1], generator.Options.Password, ct);
                using var agent = await Actor.SignInAsync(server, "agent", data.Agents.First(a => a.Id == queue.AgentIds[0]), generator.Options.Password, ct);
                var targets = (await ScaleCluster.ScalarAsync<Guid[]>(cluster.ConnectionString(database),
                    "select array_agg(id) from (select id from public.tickets where queue_id = $1 and status in ('open', 'pending') order by created_at desc limit 500) t", ct, queue.Id));
                var random = new Random(7);
                var operations = new (string Name, Func<CancellationToken, Task> Run)[]
                {
                    ("customer files a ticket with a description", async t => await customer.Client.Tickets.CreateAsync(
                        new NewTicket { Subject = "Printer shows an error after the last update", QueueId = queue.Id, Tags = ["printer"], Description = "It blinks red and prints nothing." }, t)),
                    ("agent replies", async t => await agent.Client.Tickets.ReplyAsync(targets[random.Next(targets.Length)], "Thanks, I am looking into this now.", cancellationToken: t)),
                    ("agent changes priority and tags", async t => await agent.Client.Tickets.UpdateAsync(targets[random.Next(targets.Length)],
                        new TicketPatch { Priority = (TicketPriority)random.Next(4), Tags = random.Next(2) == 0 ? ["billing"] : ["billing", "vip"] }, cancellationToken: t)),
                };
                foreach (var (name, run) in operations)
                {
                    for (var i = 0; i < 5; i++)
                    {
                        await run(ct);
                    }

                    var result = await Load.RunAsync((_, t) => run(t), 1, TimeSpan.FromSeconds(settings.Seconds), 20, ct);
                    results[(name, size)] = result;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {size:N0} | {result.Triple} | {result.Throughput:F0} | {LoadAverage.Now} |"));
                }

                await CompareSearchDocumentAsync(cluster.ConnectionString(database), size, operations, settings, ct);
            }
            finally
            {
                await cluster.DropAsync(database, ct);
            }
        }

        if (sizes.Count >= 2)
        {
            Console.WriteLine();
            Console.WriteLine($"p50 at {sizes[^1]:N0} ÷ p50 at {sizes[0]:N0} (goal ≤ 1, within noise): " + string.Join("; ",
                results.Keys.Select(k => k.Item1).Distinct().Select(n => string.Create(CultureInfo.InvariantCulture, $"{n} {results[(n, sizes[^1])].P50 / results[(n, sizes[0])].P50:F2}"))));
        }
    }

    /// <summary>The search document's triggers (issue #14: create and reply may cost at most 1.3x what they cost without them).</summary>
    private static readonly (string Table, string Trigger)[] SearchTriggers =
    [
        ("public.tickets", "tickets_search_document_insert"),
        ("public.tickets", "tickets_search_document_update"),
        ("public.ticket_messages", "ticket_messages_search_document_insert"),
        ("public.ticket_messages", "ticket_messages_search_document_change"),
    ];

    /// <summary>
    /// The same operations with the search document's triggers enabled and disabled, in interleaved rounds on this
    /// throwaway copy (so drift in the machine's load falls on both sides), and the ratio of the p50s.
    /// </summary>
    private static async Task CompareSearchDocumentAsync(
        string connectionString, int size, (string Name, Func<CancellationToken, Task> Run)[] operations, BenchSettings settings, CancellationToken ct)
    {
        const int rounds = 3;
        var slice = TimeSpan.FromSeconds(Math.Max(1, settings.Seconds / rounds));
        var with = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var without = operations.ToDictionary(o => o.Name, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var enabled in new[] { true, false })
            {
                foreach (var (table, trigger) in SearchTriggers)
                {
                    await ScaleCluster.ExecuteAsync(connectionString, $"alter table {table} {(enabled ? "enable" : "disable")} trigger {trigger}", ct);
                }

                foreach (var (name, run) in operations)
                {
                    var result = await Load.RunAsync((_, t) => run(t), 1, slice, 5, ct);
                    (enabled ? with : without)[name].Add(result.P50);
                }
            }
        }

        foreach (var (table, trigger) in SearchTriggers)
        {
            await ScaleCluster.ExecuteAsync(connectionString, $"alter table {table} enable trigger {trigger}", ct);
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"search document on the write path at {size:N0} tickets ({rounds} interleaved rounds of {slice.TotalSeconds:F0} s; p50 ms with / without, ratio; goal ≤ 1.3 for create and reply; load average {LoadAverage.Now}):"));
        foreach (var (name, _) in operations)
        {
            var a = with[name].Average();
            var b = without[name].Average();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- {name}: {a:F2} / {b:F2} ms, {a / b:F2}x"));
        }

        Console.WriteLine();
    }
}
