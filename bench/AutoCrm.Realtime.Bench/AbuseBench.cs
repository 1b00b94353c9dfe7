using System.Globalization;
using AutoCrm.DevStack;
using AutoCrm.DevStack.Realtime;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCrm.Realtime.Bench;

/// <summary>
/// The acceptance check of the realtime limits: the same subscribers and the same change rate, alternately without and with
/// one <see cref="AbusiveSocket"/> at the channel, binding and filter-work limits, in one run. The subscribers' latencies of
/// all "without" phases and of all "with" phases are pooled; the figure is p99 with / p99 without (goal: at most 1.10).
/// </summary>
internal static class AbuseBench
{
    private static readonly Guid Admin = Guid.Parse("a0000000-0000-4000-8000-000000000001");

    public static async Task RunAsync(DevStackServer stack, LatencyBench bench, int rate, int seconds, int rounds)
    {
        var limits = stack.Services.GetRequiredService<RealtimeOptions>().Limits;
        var subjects = await bench.SubjectsAsync();
        var without = new List<double>();
        var with = new List<double>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"abuse: {rounds} rounds of {seconds} s at {rate} changes/s, without then with one socket at the limits ({limits.MaxChannelsPerClient} channels x {limits.MaxBindingsPerChannel} bindings, filter work budget {limits.MaxFilterWorkPerChange} steps per change)"));
        for (var round = 1; round <= rounds; round++)
        {
            var before = LoadAverage();
            var plain = await bench.RunAsync(rate, TimeSpan.FromSeconds(seconds));
            without.AddRange(bench.Latencies);
            Console.WriteLine($"round {round} without  load {before} -> {LoadAverage()}  {plain}");

            await using (var abuser = await AbusiveSocket.ConnectAsync(stack.Url, stack.AnonKey, LatencyBench.Token(LatencyBench.Claims(Admin)), subjects, limits))
            {
                before = LoadAverage();
                var abused = await bench.RunAsync(rate, TimeSpan.FromSeconds(seconds));
                with.AddRange(bench.Latencies);
                Console.WriteLine($"round {round} with     load {before} -> {LoadAverage()}  {abused}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"           abusive socket: {abuser.Channels} channels, {abuser.Bindings} bindings ({abuser.PatternBindings} with the pattern, ~{abuser.StepsPerChange} filter steps per change), {abuser.Frames} frames, {abuser.Errors} errors"));
            }
        }

        without.Sort();
        with.Sort();
        var p99Without = Pct(without, 0.99);
        var p99With = Pct(with, 0.99);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pooled: without p50 {Pct(without, 0.50):F1} ms p99 {p99Without:F1} ms ({without.Count} frames) | with p50 {Pct(with, 0.50):F1} ms p99 {p99With:F1} ms ({with.Count} frames) | p99 with / without = {p99With / p99Without:F2} (goal <= 1.10)"));
    }

    private static double Pct(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>The 1-minute load average, written beside every figure.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
