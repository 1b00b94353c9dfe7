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
}
