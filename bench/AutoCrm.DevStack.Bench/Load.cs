using System.Diagnostics;

namespace AutoCrm.DevStack.Bench;

/// <summary>Closed-loop load: N clients each issue the next request when the previous one finished.</summary>
internal static class Load
{
    public static async Task<Result> RunAsync(Func<Random, Task<string>> request, int clients, TimeSpan duration, CpuMeter? meter = null)
    {
        var cpuBefore = meter?.Read();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var latencies = new List<double>[clients];
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(async i =>
        {
            var random = new Random(i * 7919 + 1);
            var mine = latencies[i] = new List<double>(100_000);
            while (stopwatch.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                await request(random);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var cpuAfter = meter?.Read();
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var cpuMicros = cpuBefore is { } b && cpuAfter is { } a && all.Length > 0
            ? (a.Process - b.Process + a.Database - b.Database) * 1e6 / all.Length
            : double.NaN;
        var dbMicros = cpuBefore is { } b2 && cpuAfter is { } a2 && all.Length > 0 ? (a2.Database - b2.Database) * 1e6 / all.Length : double.NaN;
        return new Result(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), cpuMicros) { DatabaseMicrosPerRequest = dbMicros, AllocatedBytesPerRequest = all.Length == 0 ? 0 : allocated / all.Length };
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <param name="CpuMicrosPerRequest">CPU of this process and the database cluster per request (µs).</param>
    internal sealed record Result(double Throughput, double P50, double P99, double CpuMicrosPerRequest)
    {
        /// <summary>The PostgreSQL cluster's share of <see cref="CpuMicrosPerRequest"/>.</summary>
        public double DatabaseMicrosPerRequest { get; init; }

        /// <summary>Bytes allocated by this process (load generator and DevStack) per request.</summary>
        public long AllocatedBytesPerRequest { get; init; }
    }
}
