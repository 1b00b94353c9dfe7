using System.Diagnostics;
using AutoCrm.Sdk.Realtime.Bench;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

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
    ];
    foreach (var (name, run) in cases)
    {
        for (var i = 0; i < iterations / 10; i++)
        {
            run();
        }

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
