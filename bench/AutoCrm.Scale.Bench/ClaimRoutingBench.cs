using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using AutoCrm.DevStack.Postgres;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// What routing costs a claim: on one copy of the bench database (after side, with a backlog), <c>claim_next_ticket()</c>
/// as it is now (capacity and skills checked, the agent's state row locked and counted, the routing triggers on) against
/// the claim as it was before routing (the scale migration's function, installed under another name, with the routing
/// triggers disabled), in interleaved rounds so both see the same machine load. No capacity is set, so every claim
/// succeeds on both sides while the backlog lasts.
/// </summary>
internal static partial class ClaimRoutingBench
{
    private const string RoutingVersion = "20261205080722";

    private static readonly string[] RoutingTriggers =
        ["tickets_zz_route", "tickets_agent_load_insert", "tickets_agent_load_update", "tickets_agent_load_delete"];

    public static async Task RunAsync(ScaleCluster cluster, int tickets, BenchSettings settings, CancellationToken ct)
    {
        var generator = BenchData.Generator(tickets);
        var database = await ClaimBench.PrepareAsync(cluster, tickets, Schema.After, settings.Backlog, generator, settings.Reuse, ct);
        var connection = cluster.ConnectionString(database);
        await ScaleCluster.ExecuteAsync(connection, PreRoutingClaim(), ct);
        var agents = generator.Data.Agents.Take(settings.Clients).ToList();
        var seen = new ConcurrentDictionary<Guid, int>();
        var round = TimeSpan.FromSeconds(settings.Seconds);
        Console.WriteLine($"## Claims with and without routing at {tickets:N0} tickets + {settings.Backlog:N0} waiting ({settings.Clients} agents, 3 interleaved rounds of {settings.Seconds} s; started {DateTime.UtcNow:u})");
        Console.WriteLine();
        Console.WriteLine("| round | path | claims/s | p50 / p95 / p99 ms | load avg |");
        Console.WriteLine("|---:|---|---:|---:|---|");
        double with = 0, without = 0;
        for (var i = 1; i <= 3; i++)
        {
            await SetRoutingTriggersAsync(connection, enabled: false, ct);
            var before = await ClaimBench.DirectAsync(connection, agents, round, seen, ct, "public.bench_claim_pre_routing");
            Print(i, "before routing (the scale migration's claim, routing triggers off)", before);
            await SetRoutingTriggersAsync(connection, enabled: true, ct);
            await ScaleCluster.ExecuteAsync(connection, "select public.recount_agent_loads()", ct);
            var after = await ClaimBench.DirectAsync(connection, agents, round, seen, ct);
            Print(i, "claim_next_ticket() with routing (capacity, skills, load counter)", after);
            without += before.Throughput;
            with += after.Throughput;
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"with routing / before routing: {with / without:F2} (claims/s, sum of the rounds); {seen.Count:N0} tickets claimed, {seen.Count(kv => kv.Value > 1)} twice; load avg {LoadAverage.Now}"));
        if (!settings.Reuse)
        {
            await cluster.DropAsync(database, ct);
        }
    }

    private static void Print(int round, string path, Latencies result) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {round} | {path} | {result.Throughput:F0} | {result.Triple} | {LoadAverage.Now} |"));

    private static Task SetRoutingTriggersAsync(string connection, bool enabled, CancellationToken ct) =>
        ScaleCluster.ExecuteAsync(connection,
            string.Join(";", RoutingTriggers.Select(t => $"alter table public.tickets {(enabled ? "enable" : "disable")} trigger {t}")), ct);

    /// <summary>The claim of the newest migration before routing that defines it, renamed.</summary>
    private static string PreRoutingClaim()
    {
        var migration = SupabaseProject.Embedded().Migrations
            .Where(m => string.CompareOrdinal(m.Version, RoutingVersion) < 0)
            .Last(m => ClaimDefinition().IsMatch(m.Sql));
        return ClaimDefinition().Matches(migration.Sql)[^1].Value
            .Replace("public.claim_next_ticket(", "public.bench_claim_pre_routing(", StringComparison.Ordinal)
            .Replace("claim_next_ticket.queue_id", "bench_claim_pre_routing.queue_id", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"create (or replace )?function public\.claim_next_ticket\(.*?\n\$\$;", RegexOptions.Singleline)]
    private static partial Regex ClaimDefinition();
}
