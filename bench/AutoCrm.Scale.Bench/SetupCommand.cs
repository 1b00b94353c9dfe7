using System.Diagnostics;
using System.Globalization;
using AutoCrm.DataGenerator;
using AutoCrm.DevStack.Postgres;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// Builds the bench databases for one size: generates the data once into <c>scale_&lt;n&gt;_before</c> (baseline schema),
/// then copies it (<c>create database … template</c>) into <c>scale_&lt;n&gt;_after</c> and applies the newer migrations
/// there, as an upgrade of a database in service would. <c>--rebuild-after</c> redoes only the second step (after a
/// migration changed); <c>--force</c> regenerates everything.
/// </summary>
internal static class SetupCommand
{
    public static async Task RunAsync(ScaleCluster cluster, int tickets, bool force, bool rebuildAfter, CancellationToken ct)
    {
        var before = ScaleCluster.DatabaseName(tickets, Schema.Before);
        var after = ScaleCluster.DatabaseName(tickets, Schema.After);
        if (force)
        {
            await cluster.DropAsync(before, ct);
        }

        if (!await cluster.ExistsAsync(before, ct))
        {
            await cluster.DropAsync(after, ct);
            await cluster.CreateAsync(before, null, ct);
            var connectionString = cluster.ConnectionString(before);
            await PlatformBootstrap.ApplyAsync(connectionString, ct);
            await MigrationRunner.ApplyAsync(connectionString, BaselineSchema.Project(cluster.Directory), null, ct);

            var load = Stopwatch.StartNew();
            var generator = new CrmDataGenerator(BenchData.Options(tickets));
            var last = Stopwatch.StartNew();
            var summary = await generator.LoadAsync(connectionString, new Progress<CrmDataProgress>(p =>
            {
                if (p.Done == p.Total || last.Elapsed > TimeSpan.FromSeconds(15))
                {
                    last.Restart();
                    Console.Error.WriteLine($"  {load.Elapsed:mm\\:ss} {p.Phase} {p.Done:N0}/{p.Total:N0}  (load average {LoadAverage.Now})");
                }
            }), ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"generated {tickets:N0} tickets into {before}: {summary.LoadTime.TotalSeconds:F0} s load + {summary.AnalyzeTime.TotalSeconds:F0} s vacuum; "
                + $"{string.Join(", ", summary.Rows.OrderBy(r => r.Key).Select(r => $"{r.Key} {r.Value:N0}"))}; load average {LoadAverage.Now}"));
        }
        else if (!rebuildAfter && await cluster.ExistsAsync(after, ct))
        {
            Console.WriteLine($"{before} and {after} exist (--rebuild-after re-applies the migrations, --force regenerates)");
            return;
        }

        // Built under another name and renamed when complete: a failed migration never leaves an "after" that looks ready.
        var building = after + "_building";
        await cluster.DropAsync(after, ct);
        await cluster.DropAsync(building, ct);
        var copy = Stopwatch.StartNew();
        await cluster.CreateAsync(building, before, ct);
        var copied = copy.Elapsed;
        var migrate = Stopwatch.StartNew();
        var applied = await MigrationRunner.ApplyAsync(cluster.ConnectionString(building), SupabaseProject.Embedded(), null, ct);
        var migrated = migrate.Elapsed;
        await ScaleCluster.ExecuteAsync(cluster.ConnectionString(building), "vacuum (analyze) public.tickets, public.queue_ticket_counts", ct);
        await cluster.RenameAsync(building, after, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{after}: copied in {copied.TotalSeconds:F0} s, migrations {string.Join(", ", applied)} in {migrated.TotalSeconds:F0} s; load average {LoadAverage.Now}"));
    }
}
