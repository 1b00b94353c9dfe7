using System.Diagnostics;
using System.Globalization;

namespace AutoCrm.Sdk.Bench;

/// <summary>
/// Process CPU time per operation, in interleaved rounds: on a shared, overloaded machine wall-clock figures mostly
/// measure waiting for a core, while CPU time stays close to what a quiet machine shows.
/// </summary>
internal static class CpuTimeRun
{
    public static void Run(int iterations, int rounds)
    {
        var bench = new DeserializeTicketsBenchmark();
        bench.Setup();
        (string Name, Func<int> Run)[] cases =
        [
            ("Newtonsoft.Json (string -> POCO + JObject)", bench.Newtonsoft),
            ("AutoCrm.Sdk STJ from UTF-8 bytes", bench.Sdk),
            ("AutoCrm.Sdk, buffered response (client path)", () => bench.SdkStream().GetAwaiter().GetResult()),
            ("AutoCrm.Sdk, DeserializeAsync over the stream", () => bench.SdkStreamAsync().GetAwaiter().GetResult()),
        ];

        // Warm every case up (twice, with a pause for the background tier-1 JIT): process CPU time counts the JIT's
        // threads too, and on a loaded machine tier-up comes late.
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var (_, run) in cases)
            {
                for (var i = 0; i < Math.Max(50, iterations / 5); i++)
                {
                    run();
                }
            }

            Thread.Sleep(500);
        }

        var totals = new double[cases.Length];
        for (var round = 0; round < rounds; round++)
        {
            for (var c = 0; c < cases.Length; c++)
            {
                var process = Process.GetCurrentProcess();
                var before = process.TotalProcessorTime;
                for (var i = 0; i < iterations; i++)
                {
                    cases[c].Run();
                }

                process.Refresh();
                totals[c] += (process.TotalProcessorTime - before).TotalMicroseconds / iterations;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU time per page of 100 tickets, mean of {rounds} interleaved rounds of {iterations}; load average {File.ReadAllText("/proc/loadavg").Trim()}"));
        for (var c = 0; c < cases.Length; c++)
        {
            var mean = totals[c] / rounds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{cases[c].Name,-48} {mean,9:F1} us CPU/op   {totals[0] / totals[c],5:F2}x Newtonsoft"));
        }
    }
}
