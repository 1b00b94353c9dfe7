// Commit → frame latency of DevStack Realtime postgres_changes.
// N websocket subscribers (distinct users and sessions, so every change is RLS-checked per subscriber) listen to
// all ticket changes; a writer updates seeded tickets at a fixed rate; latency = time the frame is read on the
// client − the change's commit_timestamp. Usage:
//   dotnet run -c Release --project bench/AutoCrm.Realtime.Bench -- [--sockets 50] [--rate 100] [--seconds 10] [--ramp] [--rls-rounds 300]
//   ... -- --abuse [--rounds 3]: the same subscribers without and with one abusive socket at the limits (AbuseBench).
using System.Globalization;
using AutoCrm.DevStack;
using AutoCrm.Realtime.Bench;

var sockets = Arg("--sockets", 50);
var rate = Arg("--rate", 100);
var seconds = Arg("--seconds", 10);
var ramp = args.Contains("--ramp");

Console.WriteLine("Starting a throwaway DevStack (seeded)...");
// LatencyBench signs its own tokens with the demo secret.
await using var stack = await DevStackServer.StartAsync(new DevStackOptions { JwtSecret = DevStackDefaults.JwtSecret });
await using var bench = await LatencyBench.CreateAsync(stack, sockets);
Console.WriteLine($"{sockets} sockets subscribed to public.tickets as {bench.DistinctUsers} users ({sockets} distinct claim sets)");

Console.WriteLine("warm-up: " + await bench.RunAsync(rate, TimeSpan.FromSeconds(3)));
if (args.Contains("--abuse"))
{
    await AbuseBench.RunAsync(stack, bench, rate, seconds, Arg("--rounds", 3));
    return;
}

// --ramp: a ladder of rates from --rate up, until p99 passes 100 ms or a frame is lost (start low, e.g. --rate 10,
// to find the highest sustained rate on a busy machine).
var rates = ramp ? RampRates(rate).ToArray() : [rate];
var sustained = 0;
foreach (var r in rates)
{
    var result = await bench.RunAsync(r, TimeSpan.FromSeconds(seconds));
    Console.WriteLine(result.ToString());
    if (result.P99Ms > 100 || result.Delivered < result.Expected)
    {
        break;
    }

    sustained = r;
}

if (ramp)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Highest sustained rate with p99 <= 100 ms: {sustained} changes/s"));
}

// The dispatcher's database work per change, old path against new, in this run (--rls-rounds 0 skips it).
var rlsRounds = Arg("--rls-rounds", 300);
if (rlsRounds > 0)
{
    Console.WriteLine(await bench.RunRlsCheckAsync(sockets, rlsRounds));
}

static IEnumerable<int> RampRates(int start)
{
    int[] ladder = [10, 20, 50, 100, 150, 200, 300, 400, 600, 800, 1200, 1600, 2400];
    yield return start;
    foreach (var r in ladder.Where(r => r > start))
    {
        yield return r;
    }
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
