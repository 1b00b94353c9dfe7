// Scale benchmarks at 10^6 tickets: list shapes, queue claims and the write path through the full stack, before and
// after the scale migration, side by side in one run. See bench/README.md ("Scale").
using System.Globalization;
using AutoCrm.Scale.Bench;

var settings = BenchSettings.Parse(args);
var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
var ct = cts.Token;

await using var cluster = await ScaleCluster.StartAsync(settings.Directory, ct);
switch (settings.Command)
{
    case "setup":
        foreach (var size in settings.Sizes)
        {
            await SetupCommand.RunAsync(cluster, size, settings.Force, settings.RebuildAfter, ct);
        }

        break;
    case "lists":
        await ListBench.RunAsync(cluster, settings.Sizes[^1], settings, ct);
        break;
    case "claims":
        await ClaimBench.RunAsync(cluster, settings.Sizes[^1], settings, ct);
        break;
    case "claims-routing":
        await ClaimRoutingBench.RunAsync(cluster, settings.Sizes[^1], settings, ct);
        break;
    case "claims-prepare":
        await ClaimBench.PrepareAsync(cluster, settings.Sizes[^1], Schema.After, settings.Backlog, BenchData.Generator(settings.Sizes[^1]), reuse: false, ct);
        break;
    case "soak":
        await ClaimBench.SoakAsync(cluster, settings.Sizes[^1], settings, ct);
        break;
    case "writes":
        await WriteBench.RunAsync(cluster, settings.Sizes, settings, ct);
        break;
    case "reports":
        await ReportBench.RunAsync(cluster, settings.Sizes[^1], settings, ct);
        break;
    default:
        Console.Error.WriteLine(BenchSettings.Usage);
        return 2;
}

return 0;

namespace AutoCrm.Scale.Bench
{
    internal sealed record BenchSettings
    {
        public const string Usage = """
            usage: AutoCrm.Scale.Bench <command> [options]
              setup   [--tickets N[,N...]] [--force] [--rebuild-after]   build scale_<N>_before and scale_<N>_after
              lists   [--tickets N] [--seconds S] [--clients C] [--only TEXT]
              claims  [--tickets N] [--seconds S] [--clients C] [--backlog N] [--after-only] [--plain-floor]
              claims-routing [--tickets N] [--seconds S] [--clients C] [--backlog N]   claims with and without routing, interleaved
              soak    [--tickets N] [--minutes M] [--clients C] [--backlog N]
              claims-prepare [--tickets N] [--backlog N]   build the claims/soak database ahead of time (then pass --reuse)
              writes  [--tickets N,N] [--seconds S]
              reports [--tickets N] [--seconds S] [--clients C] [--only TEXT] [--force]   (database reports_<N>, built on first use)
            claims, claims-routing, soak: --reuse  use the prepared scale_claims_<N>_after_<backlog> as it is, and keep it
            common: --dir DIR (default /var/tmp/autocrm-scale)
            """;

        public required string Command { get; init; }

        public string Directory { get; init; } = "/var/tmp/autocrm-scale";

        public int[] Sizes { get; init; } = [1_000_000];

        public double Seconds { get; init; } = 5;

        public int Clients { get; init; } = 50;

        public double Minutes { get; init; } = 10;

        public int Backlog { get; init; } = 200_000;

        public bool Force { get; init; }

        public bool RebuildAfter { get; init; }

        /// <summary>claims: only the after side (the before side's claim has no index at 10^6 and says nothing new).</summary>
        public bool AfterOnly { get; init; }

        /// <summary>claims, claims-routing, soak: use a database <c>claims-prepare</c> built, and keep it afterwards.</summary>
        public bool Reuse { get; init; }

        /// <summary>claims: leave out the bare update on tickets and compare every path with the plain table.</summary>
        public bool PlainFloor { get; init; }

        public string? Only { get; init; }

        public bool Matches(string name) => Only is null || name.Contains(Only, StringComparison.OrdinalIgnoreCase);

        public static BenchSettings Parse(string[] args)
        {
            var s = new BenchSettings { Command = args.Length > 0 ? args[0] : "help" };
            for (var i = 1; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                s = args[i] switch
                {
                    "--dir" => s with { Directory = Next() },
                    "--tickets" => s with { Sizes = [.. Next().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))] },
                    "--seconds" => s with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--clients" => s with { Clients = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--minutes" => s with { Minutes = double.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--backlog" => s with { Backlog = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--only" => s with { Only = Next() },
                    "--force" => s with { Force = true },
                    "--rebuild-after" => s with { RebuildAfter = true },
                    "--after-only" => s with { AfterOnly = true },
                    "--reuse" => s with { Reuse = true },
                    "--plain-floor" => s with { PlainFloor = true },
                    _ => throw new ArgumentException($"unknown option {args[i]}\n{Usage}"),
                };
            }

            return s;
        }
    }
}
