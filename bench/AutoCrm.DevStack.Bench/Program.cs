// DevStack REST vs direct Npgsql: the same queries, the same concurrency, one run.
// Usage: dotnet run -c Release --project bench/AutoCrm.DevStack.Bench [-- --seconds 5]
// Two builds in one run (bench/rest-compare.sh):
using System.Diagnostics;
using System.Globalization;
using System.Net;
using AutoCrm.DevStack;
using AutoCrm.DevStack.Bench;
using Npgsql;

// Usage: ... -- --compare <base AutoCrm.DevStack.dll> <candidate AutoCrm.DevStack.dll> [--seconds 3] [--rounds 3]
//   [--base-supabase-dir DIR] [--candidate-supabase-dir DIR]  (a build's migrations from another supabase/ directory:
//   the same DevStack build over two schemas, to tell a schema's cost from the server's)
//   [--workload TEXT]  (only the workloads whose name contains TEXT, e.g. "list")  [--clients 1,8]  (default 1,8,32)
//   [--base-env NAME=VALUE] [--candidate-env NAME=VALUE]  (one variable added to that DevStack's environment, e.g. to
//   run the same build with different GLIBC_TUNABLES for its cluster)
if (args is ["--compare", var baseDll, var candidateDll, .. var options])
{
    string? Option(string name) => options.SkipWhile(o => o != name).Skip(1).FirstOrDefault();
    await Compare.RunAsync(baseDll, candidateDll,
        int.Parse(Option("--seconds") ?? "3", CultureInfo.InvariantCulture), int.Parse(Option("--rounds") ?? "3", CultureInfo.InvariantCulture),
        Option("--base-supabase-dir"), Option("--candidate-supabase-dir"), Option("--workload"),
        Option("--clients")?.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
        Option("--base-env"), Option("--candidate-env"));
    return;
}

var seconds = args.Length >= 2 && args[0] == "--seconds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
int[] concurrency = [1, 8, 32];

Console.Error.WriteLine("Starting DevStack (throwaway cluster)...");
await using var server = await DevStackServer.StartAsync(new DevStackOptions { Seed = false });
var adminConnectionString = BenchDatabase.FromUrl(server.DatabaseUrl);
await BenchDatabase.CreateAsync(adminConnectionString);

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
{
    BaseAddress = new Uri(server.Url, "/rest/v1/"),
};
http.DefaultRequestHeaders.Add("apikey", server.AnonKey);
await BenchDatabase.WaitForRestAsync(http);
var meter = await CpuMeter.CreateAsync(adminConnectionString);

// Direct: the DevStack's own main statement for each request (the text its StatementBuilder emits, checked below by
// comparing bodies), on a pool with automatic preparation; only the HTTP layer and the per-request setup
// statement (role, claims, headers) are missing from it.
await using var direct = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(adminConnectionString) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2, MaxPoolSize = 100 }.ConnectionString).Build();
const string Envelope = "SELECT NULL::bigint AS pgrst_total, pg_catalog.count(_postgrest_t) AS pgrst_count, coalesce(json_agg(_postgrest_t), '[]')::text AS pgrst_body, "
    + "nullif(current_setting('response.headers', true), '') AS pgrst_headers, nullif(current_setting('response.status', true), '') AS pgrst_status FROM ";
const string Columns = "t0.\"id\", t0.\"grp\", t0.\"name\", t0.\"price\", t0.\"tags\", t0.\"created_at\"";
const string ByIdSql = Envelope + "(SELECT " + Columns + " FROM \"public\".\"bench_items\" t0 WHERE t0.\"id\" = $1 LIMIT $2) _postgrest_t";
const string ListSql = Envelope + "(SELECT " + Columns + " FROM \"public\".\"bench_items\" t0 WHERE t0.\"grp\" = $1 ORDER BY t0.\"id\" ASC LIMIT $2) _postgrest_t";

async Task<string> DirectAsync(string sql, int value, long limit)
{
    await using var command = direct.CreateCommand(sql);
    command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = value });
    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    return reader.GetString(2);
}

async Task<string> RestAsync(string url)
{
    using var response = await http.GetAsync(url);
    var body = await response.Content.ReadAsStringAsync();
    return response.StatusCode == HttpStatusCode.OK ? body : throw new InvalidOperationException($"{(int)response.StatusCode} {body}");
}

var workloads = new (string Name, Func<Random, Task<string>> ViaRest, Func<Random, Task<string>> ViaNpgsql)[]
{
    ("GET by primary key", r => RestAsync($"bench_items?id=eq.{r.Next(1, BenchDatabase.Rows + 1)}"), r => DirectAsync(ByIdSql, r.Next(1, BenchDatabase.Rows + 1), 1000)),
    ("50-row filtered list", r => RestAsync($"bench_items?grp=eq.{r.Next(0, BenchDatabase.Groups)}&order=id&limit=50"), r => DirectAsync(ListSql, r.Next(0, BenchDatabase.Groups), 50)),
};

// Same answers both ways (sanity), then warm up JIT, pools and prepared statements.
if (await RestAsync("bench_items?id=eq.7") != await DirectAsync(ByIdSql, 7, 1000)
    || await RestAsync("bench_items?grp=eq.7&order=id&limit=50") != await DirectAsync(ListSql, 7, 50))
{
    throw new InvalidOperationException("REST and direct results differ");
}

foreach (var w in workloads)
{
    // At the highest concurrency, so both pools have opened (and prepared on) every connection they will use.
    await Load.RunAsync(w.ViaRest, concurrency[^1], TimeSpan.FromSeconds(2));
    await Load.RunAsync(w.ViaNpgsql, concurrency[^1], TimeSpan.FromSeconds(2));
}

if (Environment.GetEnvironmentVariable("BENCH_PROBE") is "1")
{
    // Where the time goes: the same GET answered 406 before any database work, and an RPC doing nothing.
    async Task<string> NotAcceptable(Random r)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"bench_items?id=eq.{r.Next(1, BenchDatabase.Rows + 1)}");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");
        using var response = await http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    foreach (var clients in concurrency)
    {
        var probe = await Load.RunAsync(NotAcceptable, clients, TimeSpan.FromSeconds(seconds), meter);
        var pk = await Load.RunAsync(workloads[0].ViaRest, clients, TimeSpan.FromSeconds(seconds), meter);
        var db = await Load.RunAsync(workloads[0].ViaNpgsql, clients, TimeSpan.FromSeconds(seconds), meter);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"probe {clients}: 406 {probe.Throughput:F0}/s {probe.CpuMicrosPerRequest:F0}us (db {probe.DatabaseMicrosPerRequest:F0}, {probe.AllocatedBytesPerRequest} B); pk {pk.Throughput:F0}/s {pk.CpuMicrosPerRequest:F0}us (db {pk.DatabaseMicrosPerRequest:F0}, {pk.AllocatedBytesPerRequest} B); direct {db.Throughput:F0}/s {db.CpuMicrosPerRequest:F0}us (db {db.DatabaseMicrosPerRequest:F0}, {db.AllocatedBytesPerRequest} B)"));
    }

    return;
}

Console.WriteLine($"| Workload | Clients | DevStack req/s | p50 ms | p99 ms | CPU µs/req | alloc B/req | Npgsql req/s | p50 ms | p99 ms | CPU µs/req | alloc B/req | Ratio | CPU ratio |");
Console.WriteLine($"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var w in workloads)
{
    foreach (var clients in concurrency)
    {
        var rest = await Load.RunAsync(w.ViaRest, clients, TimeSpan.FromSeconds(seconds), meter);
        var db = await Load.RunAsync(w.ViaNpgsql, clients, TimeSpan.FromSeconds(seconds), meter);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {w.Name} | {clients} | {rest.Throughput:F0} | {rest.P50:F2} | {rest.P99:F2} | {rest.CpuMicrosPerRequest:F0} | {rest.AllocatedBytesPerRequest} | {db.Throughput:F0} | {db.P50:F2} | {db.P99:F2} | {db.CpuMicrosPerRequest:F0} | {db.AllocatedBytesPerRequest} | {rest.Throughput / db.Throughput:F2} | {db.CpuMicrosPerRequest / rest.CpuMicrosPerRequest:F2} |"));
    }
}

Console.WriteLine();
Console.WriteLine("alloc B/req: bytes allocated by this process (load generator + DevStack, or load generator + Npgsql) per request.");
Console.WriteLine("CPU µs/req: CPU time of this process (load generator + DevStack) and of every PostgreSQL process of the cluster, per request; CPU ratio = Npgsql CPU/req ÷ DevStack CPU/req (the throughput ratio an idle machine would show if both were CPU-bound).");
Console.WriteLine($"Machine: {Environment.ProcessorCount} logical CPUs, {Environment.OSVersion}, .NET {Environment.Version}, {seconds} s per cell.");
