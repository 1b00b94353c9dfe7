using AutoCrm.Sdk.Bench;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process short runs: the figures in bench/README.md come from `dotnet run -c Release --project bench/AutoCrm.Sdk.Bench`.
var config = ManualConfig.Create(DefaultConfig.Instance)
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default);
BenchmarkSwitcher.FromTypes([typeof(DeserializeTicketsBenchmark), typeof(GetTicketOverheadBenchmark)]).Run(args, config);
