using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace AutoCrm.DevStack.Bench;

/// <summary>
/// Two builds of the DevStack side by side in one run (<c>--compare base.dll candidate.dll</c>): each runs as its
/// own process on its own cluster, and every cell alternates base and candidate rounds so that both see the same
/// machine load. Reports each one's throughput, candidate ÷ base, the CPU per request of each DevStack process and of
/// its cluster (which tells the server's cost from the database's), and the load average around the cell.
/// </summary>
internal static class Compare
{
    public static async Task RunAsync(
        string baseDll, string candidateDll, int seconds, int rounds, string? baseSupabaseDir = null, string? candidateSupabaseDir = null, string? workload = null, int[]? clientCounts = null,
        string? baseEnvironment = null, string? candidateEnvironment = null)
    {
        Console.Error.WriteLine("Starting both DevStacks...");
        await using var baseline = await ExternalDevStack.StartAsync(baseDll, baseSupabaseDir, baseEnvironment);
        await using var candidate = await ExternalDevStack.StartAsync(candidateDll, candidateSupabaseDir, candidateEnvironment);
        var stacks = new[] { baseline, candidate };
        var meters = new CpuMeter?[stacks.Length];
        for (var i = 0; i < stacks.Length; i++)
        {
            await BenchDatabase.CreateAsync(BenchDatabase.FromUrl(stacks[i].DatabaseUrl));
            await BenchDatabase.WaitForRestAsync(stacks[i].Http);
            meters[i] = await CpuMeter.CreateAsync(BenchDatabase.FromUrl(stacks[i].DatabaseUrl), stacks[i].ProcessId);
        }

        // created_at is each database's own now(), so the check leaves it out.
        const string Check = "bench_items?select=id,grp,name,price,tags&grp=eq.7&order=id&limit=50";
        if (await GetAsync(baseline.Http, Check) != await GetAsync(candidate.Http, Check))
        {
            throw new InvalidOperationException("The two builds answer the same request differently");
        }

        var workloads = new (string Name, Func<HttpClient, Random, Task<string>> Request)[]
        {
            ("GET by primary key", (h, r) => GetAsync(h, $"bench_items?id=eq.{r.Next(1, BenchDatabase.Rows + 1)}")),
            ("50-row filtered list", (h, r) => GetAsync(h, $"bench_items?grp=eq.{r.Next(0, BenchDatabase.Groups)}&order=id&limit=50")),
            ("PATCH by primary key", (h, r) => PatchAsync(h, $"bench_items?id=eq.{r.Next(1, BenchDatabase.Rows + 1)}", r)),
        };
        workloads = workload is null ? workloads : workloads.Where(w => w.Name.Contains(workload, StringComparison.OrdinalIgnoreCase)).ToArray();
        var concurrency = clientCounts ?? [1, 8, 32];
        foreach (var (_, request) in workloads)
        {
            foreach (var stack in stacks)
            {
                await Load.RunAsync(r => request(stack.Http, r), concurrency[^1], TimeSpan.FromSeconds(2));
            }
        }

        Console.WriteLine($"Base: {baseDll}{(baseSupabaseDir is null ? "" : " over " + baseSupabaseDir)}");
        Console.WriteLine($"Candidate: {candidateDll}{(candidateSupabaseDir is null ? "" : " over " + candidateSupabaseDir)}");
        Console.WriteLine("| Workload | Clients | base req/s | candidate req/s | candidate ÷ base | base p50 ms | candidate p50 ms "
            + "| DevStack CPU µs/req base / candidate | PostgreSQL CPU µs/req base / candidate | load average (1 min) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (name, request) in workloads)
        {
            foreach (var clients in concurrency)
            {
                var loadBefore = LoadAverage();
                var totals = new double[2];
                var p50 = new double[2];
                var serverCpu = new double[2];
                var databaseCpu = new double[2];
                for (var round = 0; round < rounds; round++)
                {
                    // Alternate which build goes first, so a load change within a round favours neither.
                    foreach (var i in round % 2 == 0 ? new[] { 0, 1 } : [1, 0])
                    {
                        var result = await Load.RunAsync(r => request(stacks[i].Http, r), clients, TimeSpan.FromSeconds(seconds), meters[i]);
                        totals[i] += result.Throughput;
                        p50[i] += result.P50;
                        serverCpu[i] += result.CpuMicrosPerRequest - result.DatabaseMicrosPerRequest;
                        databaseCpu[i] += result.DatabaseMicrosPerRequest;
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{DateTime.UtcNow:HH:mm:ss} {name}, {clients} clients, round {round + 1}, {(i == 0 ? "base" : "candidate")}: {result.Throughput:F0} req/s, p50 {result.P50:F2} ms, load {LoadAverage()}"));
                    }
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {clients} | {totals[0] / rounds:F0} | {totals[1] / rounds:F0} | {totals[1] / totals[0]:F2} | {p50[0] / rounds:F2} | {p50[1] / rounds:F2} "
                    + $"| {serverCpu[0] / rounds:F0} / {serverCpu[1] / rounds:F0} | {databaseCpu[0] / rounds:F0} / {databaseCpu[1] / rounds:F0} | {loadBefore} → {LoadAverage()} |"));
            }
        }

        Console.WriteLine($"{rounds} alternating rounds of {seconds} s per build and cell; {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}.");
    }

    private static async Task<string> GetAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK ? body : throw new InvalidOperationException($"{(int)response.StatusCode} {body}");
    }

    /// <summary>A one-row update (a new price), <c>Prefer: return=minimal</c>: the write path through REST.</summary>
    private static async Task<string> PatchAsync(HttpClient http, string url, Random random)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, url)
        {
            Content = new StringContent(string.Create(CultureInfo.InvariantCulture, $$"""{"price":{{random.Next(1, 100000) / 100.0}}}"""), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Prefer", "return=minimal");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.NoContent ? body : throw new InvalidOperationException($"{(int)response.StatusCode} {body}");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>A DevStack executable started on a throwaway cluster; disposing stops it with SIGTERM.</summary>
    private sealed class ExternalDevStack : IAsyncDisposable
    {
        private readonly Process process;
        private readonly string dataDirectory;

        private ExternalDevStack(Process process, string dataDirectory, string apiUrl, string databaseUrl, string anonKey)
        {
            this.process = process;
            this.dataDirectory = dataDirectory;
            DatabaseUrl = databaseUrl;
            Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                BaseAddress = new Uri(new Uri(apiUrl), "/rest/v1/"),
            };
            Http.DefaultRequestHeaders.Add("apikey", anonKey);
        }

        public HttpClient Http { get; }

        public int ProcessId => process.Id;

        public string DatabaseUrl { get; }

        /// <param name="environment">One <c>NAME=VALUE</c> added to the DevStack's environment (and so its cluster's).</param>
        public static async Task<ExternalDevStack> StartAsync(string dll, string? supabaseDir = null, string? environment = null)
        {
            var dataDirectory = Path.Combine(Path.GetTempPath(), "autocrm-bench-" + Guid.NewGuid().ToString("N"));
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            if (environment?.Split('=', 2) is [var name, var value])
            {
                start.Environment[name] = value;
            }

            string[] arguments = supabaseDir is null
                ? [dll, "--port", "0", "--data-dir", dataDirectory, "--no-seed"]
                : [dll, "--port", "0", "--data-dir", dataDirectory, "--no-seed", "--supabase-dir", supabaseDir];
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            while (values.Count < 3 && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                foreach (var key in new[] { "API URL", "DB URL", "anon key" })
                {
                    if (line.StartsWith(key + ": ", StringComparison.Ordinal))
                    {
                        values[key] = line[(key.Length + 2)..];
                    }
                }
            }

            if (values.Count < 3)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{dll} did not print its URL and keys");
            }

            return new ExternalDevStack(process, dataDirectory, values["API URL"], values["DB URL"], values["anon key"]);
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            if (!process.HasExited)
            {
                // SIGTERM lets the DevStack stop its PostgreSQL cluster.
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await kill.WaitForExitAsync();
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            process.Dispose();
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A cluster that did not stop cleanly leaves files behind in the temporary directory.
            }
        }
    }
}
