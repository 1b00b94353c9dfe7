using System.Diagnostics;

namespace AutoCrm.DevStack.Bench;

/// <summary>Closed-loop load: N clients each issue the next request when the previous one finished.</summary>
internal static class Load
{
    public static async Task<Result> RunAsync(Func<Random, Task<string>> request, int clients, TimeSpan duration)
    {
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
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Result(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    internal sealed record Result(double Throughput, double P50, double P99);
}
