using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AutoCrm.DataGenerator;
using AutoCrm.DevStack;
using AutoCrm.DevStack.Postgres;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// The report functions (docs/reports.md) through the full stack (SDK → DevStack → PostgreSQL) on a generated
/// database with metric facts and CSAT ratings (<c>reports_&lt;n&gt;</c>: every migration, the shared generator with
/// <see cref="CsatRatingsExtension"/>, facts derived by <c>refresh_generated_data()</c>). Each call is timed with one
/// client and with N concurrent clients beside a baseline measured in the same run (one page of 25 tickets of the
/// busiest queue, the cheapest useful request of the same stack), with the database's own time (EXPLAIN ANALYZE through
/// PostgREST) and the load average. Goals at 10^6 tickets: summary for a quarter p95 ≤ 200 ms, a 90-day daily time
/// series p95 ≤ 300 ms (one client).
/// </summary>
internal static class ReportBench
{
    public static string DatabaseName(int tickets) => $"reports_{tickets}";

    public static async Task RunAsync(ScaleCluster cluster, int tickets, BenchSettings settings, CancellationToken ct)
    {
        var generator = BenchData.Generator(tickets);
        var database = DatabaseName(tickets);
        await SetupAsync(cluster, database, tickets, settings.Force, ct);

        var data = generator.Data;
        var busyQueue = data.Queues[0];
        var agentUser = data.Agents.First(a => a.Id == busyQueue.AgentIds[0]);
        await using var server = await cluster.ServeAsync(database, Schema.After, ct);
        using var admin = await Actor.SignInAsync(server, "admin", data.Admins[0], generator.Options.Password, ct);
        using var agent = await Actor.SignInAsync(server, "agent", agentUser, generator.Options.Password, ct);

        // The last full quarter and the last 90 days before the generated data's end (its busiest period).
        var end = generator.Options.End;
        var quarterEnd = new DateTimeOffset(end.Year, 1 + ((end.Month - 1) / 3 * 3), 1, 0, 0, 0, TimeSpan.Zero);
        var quarterStart = quarterEnd.AddMonths(-3);
        var days90 = end.AddDays(-90);
        var facts = await ScaleCluster.ScalarAsync<long>(cluster.ConnectionString(database),
            "select count(*) from public.ticket_metric_facts where occurred_at >= $1 and occurred_at < $2", ct, quarterStart, quarterEnd);

        var calls = new (string Name, Actor Actor, Func<Actor, CancellationToken, Task> Call)[]
        {
            ("baseline: 25 tickets of the busiest queue", admin, (a, t) => a.Client.Rest.From("tickets").Select("id,subject,status")
                .Eq("queue_id", busyQueue.Id.ToString()).Order("created_at", descending: true).Limit(25).ToJsonAsync(t)),
            ("report_summary, quarter, all queues", admin, (a, t) => Rpc(a, "report_summary", new JsonObject { ["from_at"] = quarterStart, ["to_at"] = quarterEnd }, t)),
            ("report_summary, quarter, one queue", admin, (a, t) => Rpc(a, "report_summary", new JsonObject { ["from_at"] = quarterStart, ["to_at"] = quarterEnd, ["queue_id"] = busyQueue.Id }, t)),
            ("report_summary, quarter, one agent", admin, (a, t) => Rpc(a, "report_summary", new JsonObject { ["from_at"] = quarterStart, ["to_at"] = quarterEnd, ["agent_id"] = agentUser.Id }, t)),
            ("report_summary, quarter, as an agent (her queues)", agent, (a, t) => Rpc(a, "report_summary", new JsonObject { ["from_at"] = quarterStart, ["to_at"] = quarterEnd }, t)),
            ("report_timeseries, 90 days daily, tickets_created", admin, (a, t) => Rpc(a, "report_timeseries", Series("tickets_created", days90, end, null), t)),
            ("report_timeseries, 90 days daily, first_reply_median", admin, (a, t) => Rpc(a, "report_timeseries", Series("first_reply_median", days90, end, null), t)),
            ("report_timeseries, 90 days daily, resolution_p90 by queue", admin, (a, t) => Rpc(a, "report_timeseries", Series("resolution_p90", days90, end, "queue"), t)),
            ("report_timeseries, 90 days daily, csat_percent", admin, (a, t) => Rpc(a, "report_timeseries", Series("csat_percent", days90, end, null), t)),
            ("report_agent_leaderboard, quarter", admin, (a, t) => Rpc(a, "report_agent_leaderboard", new JsonObject { ["from_at"] = quarterStart, ["to_at"] = quarterEnd }, t)),
        };

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"## Reports at {tickets:N0} tickets (quarter {quarterStart:yyyy-MM-dd}..{quarterEnd:yyyy-MM-dd}: {facts:N0} facts; 90 days to {end:yyyy-MM-dd}; {settings.Seconds} s per cell; started {DateTime.UtcNow:u}, load average {LoadAverage.Now})"));
        Console.WriteLine();
        Console.WriteLine($"ms; p50 / p95 / p99 of the HTTP call through the SDK with 1 and {settings.Clients} clients; db: PostgreSQL planning + execution (EXPLAIN ANALYZE of the same request) p50 / p95; ratio: 1-client p95 / the baseline's.");
        Console.WriteLine();
        Console.WriteLine($"| call | 1 client | ratio | db | {settings.Clients} clients | req/s | load avg |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        double? baseline = null;
        foreach (var (name, actor, call) in calls.Where(c => settings.Matches(c.Name)))
        {
            for (var i = 0; i < 3; i++)
            {
                await call(actor, ct);
            }

            var single = await Load.RunAsync((_, t) => call(actor, t), 1, TimeSpan.FromSeconds(settings.Seconds), 20, ct);
            var db = await DatabaseTimeAsync(() => call(actor, ct), ct);
            var many = await Load.RunAsync((_, t) => call(actor, t), settings.Clients, TimeSpan.FromSeconds(settings.Seconds), 2, ct);
            baseline ??= single.P95;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {single.Triple} | {single.P95 / baseline.Value:F1} | {db.P50:F1} / {db.P95:F1} | {many.Triple} | {many.Throughput:F0} | {LoadAverage.Now} |"));
        }
    }

    private static JsonObject Series(string metric, DateTimeOffset from, DateTimeOffset to, string? groupBy) => new()
    {
        ["metric"] = metric, ["bucket"] = "day", ["from_at"] = from, ["to_at"] = to, ["group_by"] = groupBy, ["time_zone"] = "Europe/Berlin",
    };

    private static Task Rpc(Actor actor, string function, JsonObject arguments, CancellationToken ct) =>
        actor.Client.Rest.Rpc(function, arguments).ToJsonAsync(ct);

    private static async Task<Latencies> DatabaseTimeAsync(Func<Task> call, CancellationToken ct)
    {
        var samples = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var record = RecordedRequest.Begin();
            try
            {
                await call();
            }
            finally
            {
                RecordedRequest.End();
            }

            samples.Add((await PlanProbe.DatabaseTimeAsync(record, ct)).Milliseconds);
        }

        return new Latencies([.. samples.Order()], 1);
    }

    /// <summary>Generates <c>reports_&lt;n&gt;</c> unless it exists (or <c>--force</c>): every migration, then the shared generator with ratings.</summary>
    private static async Task SetupAsync(ScaleCluster cluster, string database, int tickets, bool force, CancellationToken ct)
    {
        if (force)
        {
            await cluster.DropAsync(database, ct);
        }

        if (await cluster.ExistsAsync(database, ct))
        {
            return;
        }

        var building = database + "_building";
        await cluster.DropAsync(building, ct);
        await cluster.CreateAsync(building, null, ct);
        var connectionString = cluster.ConnectionString(building);
        await PlatformBootstrap.ApplyAsync(connectionString, ct);
        await MigrationRunner.ApplyAsync(connectionString, SupabaseProject.Embedded(), null, ct);
        var load = Stopwatch.StartNew();
        var last = Stopwatch.StartNew();
        var generator = new CrmDataGenerator(BenchData.Options(tickets) with { Extensions = [new CsatRatingsExtension()] });
        var summary = await generator.LoadAsync(connectionString, new Progress<CrmDataProgress>(p =>
        {
            if (p.Done == p.Total || last.Elapsed > TimeSpan.FromSeconds(15))
            {
                last.Restart();
                Console.Error.WriteLine($"  {load.Elapsed:mm\\:ss} {p.Phase} {p.Done:N0}/{p.Total:N0}  (load average {LoadAverage.Now})");
            }
        }), ct);
        var facts = await ScaleCluster.ScalarAsync<long>(connectionString, "select count(*) from public.ticket_metric_facts", ct);
        var ratings = await ScaleCluster.ScalarAsync<long>(connectionString, "select count(*) from public.ticket_ratings", ct);
        await cluster.RenameAsync(building, database, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated {tickets:N0} tickets into {database} in {load.Elapsed.TotalSeconds:F0} s ({summary.LoadTime.TotalSeconds:F0} s load, facts and ratings included); {facts:N0} metric facts, {ratings:N0} ratings; load average {LoadAverage.Now}"));
    }
}
