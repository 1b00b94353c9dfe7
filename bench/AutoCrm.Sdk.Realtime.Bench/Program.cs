using System.Diagnostics;
using AutoCrm.Sdk.Realtime.Bench;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

if (args is ["--e2e", ..])
{
    // --e2e [rate/s] [seconds] [sdk clients] [raw sockets]
    int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    var rate = Arg(1, 100);
    var seconds = Arg(2, 30);
    var clients = Arg(3, 50);
    var raw = Arg(4, 5);
    // Signs in every simulated user from this process: the sign-in rate limit would stop the run.
    await using var stack = await AutoCrm.DevStack.DevStackServer.StartAsync(new AutoCrm.DevStack.DevStackOptions { EnforceAuthRateLimits = false });
    await using var e2e = await EndToEndBench.CreateAsync(stack, clients, raw);
    Console.WriteLine($"{clients} SDK clients + {raw} raw websockets subscribed; {rate} changes/s for {seconds} s (after a 3 s warm-up)");
    _ = await e2e.RunAsync(rate, TimeSpan.FromSeconds(3));
    var (sdk, baseline) = await e2e.RunAsync(rate, TimeSpan.FromSeconds(seconds));
    Console.WriteLine(sdk);
    Console.WriteLine(baseline);
    Console.WriteLine(System.FormattableString.Invariant(
        $"SDK - raw: p50 {sdk.Pct(0.50) - baseline.Pct(0.50):F1} ms, p99 {sdk.Pct(0.99) - baseline.Pct(0.99):F1} ms; SDK / raw: p50 {sdk.Pct(0.50) / baseline.Pct(0.50):F2}x, p99 {sdk.Pct(0.99) / baseline.Pct(0.99):F2}x"));
    return;
}

if (args is ["--cpu", ..])
{
    // CPU time per operation: on a shared, overloaded machine wall-clock figures mostly measure waiting for a core.
    var iterations = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
    var bench = new DecodeFrameBenchmark();
    bench.Setup();
    (string Name, Func<object?> Run)[] cases =
    [
        ("tickets UPDATE, vsn 2.0.0 -> TicketChange", bench.TicketUpdateV2),
        ("tickets UPDATE, vsn 2.0.0 -> TicketChange, then reading Old", bench.TicketUpdateV2ReadOld),
        ("tickets UPDATE, vsn 1.0.0 -> TicketChange", bench.TicketUpdateV1),
        ("ticket_events INSERT, vsn 2.0.0 -> TicketStatusChanged", bench.StatusEventV2),
        ("Phoenix frame only (vsn 2.0.0)", bench.FrameOnly),
        ("breakdown: frame + routing (no typed decode)", bench.FrameAndRouteOnly),
        ("breakdown: one ticket row -> Ticket", bench.RowOnly),
        ("breakdown: same row, metadata {} -> Ticket", bench.RowEmptyMetadata),
        ("breakdown: metadata alone -> JsonObject", bench.MetadataOnly),
        ("breakdown: id + 5 timestamps -> Ticket", () => bench.TimestampsOnly()),
    ];
    // Warm every case up front (twice, with a pause for the background tier-1/PGO JIT) so that no case's figure includes
    // JIT work: process CPU time counts the JIT's threads too, and on a loaded machine tier-up is late.
    for (var pass = 0; pass < 2; pass++)
    {
        foreach (var (_, run) in cases)
        {
            for (var i = 0; i < iterations / 10; i++)
            {
                run();
            }
        }

        Thread.Sleep(500);
    }

    foreach (var (name, run) in cases)
    {
        var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        for (var i = 0; i < iterations; i++)
        {
            run();
        }

        process.Refresh();
        var perOp = (process.TotalProcessorTime - before).TotalMicroseconds / iterations;
        Console.WriteLine($"{name,-58} {perOp,8:F2} us CPU/op");
    }

    bench.Cleanup();
    return;
}

// In-process short runs: `dotnet run -c Release --project bench/AutoCrm.Sdk.Realtime.Bench -- --filter '*'`.
var config = ManualConfig.Create(DefaultConfig.Instance)
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default);
BenchmarkSwitcher.FromTypes([typeof(DecodeFrameBenchmark)]).Run(args, config);
