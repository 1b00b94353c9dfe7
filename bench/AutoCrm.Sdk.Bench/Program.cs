using AutoCrm.Sdk.Bench;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

if (args is ["--cpu", ..])
{
    // --cpu [iterations per round] [rounds]
    CpuTimeRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 400,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
    return;
}

// In-process short runs: the figures in bench/README.md come from `dotnet run -c Release --project bench/AutoCrm.Sdk.Bench`.
var config = ManualConfig.Create(DefaultConfig.Instance)
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default);
BenchmarkSwitcher.FromTypes([typeof(DeserializeTicketsBenchmark), typeof(GetTicketOverheadBenchmark)]).Run(args, config);
