using System.Diagnostics;

namespace AutoCrm.Scale.Bench;

/// <summary>Latency samples and their percentiles.</summary>
internal sealed record Latencies(double[] Sorted, double Seconds)
{
    /// <summary>Requests that failed (e.g. cancelled by the role's statement timeout); their time until the failure is in <see cref="Sorted"/>.</summary>
    public int Errors { get; init; }

    public double P50 => Percentile(0.50);

    public double P95 => Percentile(0.95);

    public double P99 => Percentile(0.99);

    public double Throughput => Sorted.Length / Seconds;

    public int Count => Sorted.Length;

    public double Percentile(double p) => Sorted.Length == 0 ? double.NaN : Sorted[Math.Clamp((int)Math.Ceiling(p * Sorted.Length) - 1, 0, Sorted.Length - 1)];

    public string Triple => $"{P50:F1} / {P95:F1} / {P99:F1}" + (Errors > 0 ? $" ({Errors} failed)" : "");
}

/// <summary>Closed-loop load: each of N clients sends its next request when the previous one answered.</summary>
internal static class Load
{
    public static async Task<Latencies> RunAsync(Func<int, CancellationToken, Task> request, int clients, TimeSpan duration, int minimumPerClient, CancellationToken ct)
    {
        var samples = new List<double>[clients];
        var errors = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            var mine = samples[i] = new List<double>(1024);
            for (var n = 0; clock.Elapsed < duration || n < minimumPerClient; n++)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await request(i, ct);
                }
                catch (AutoCrm.Sdk.CrmException)
                {
                    Interlocked.Increment(ref errors);
                }

                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var all = samples.SelectMany(s => s).Order().ToArray();
        return new Latencies(all, seconds) { Errors = errors };
    }
}
