using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.AspNetCore;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

// Webhook benchmarks, each against a baseline measured in the same run, with the load average beside every figure:
//  1. the outbox's cost on the write path: creating a ticket (one insert per transaction) with an endpoint subscribed
//     to ticket.created against with none, in interleaved rounds (goal: at most 1.2x);
//  2. dispatcher throughput to a local receiver that verifies every signature: deliveries per second for one and two
//     dispatchers, against raw HttpClient posts of the same bodies at the same concurrency to the same receiver.
// Usage: dotnet run -c Release --project bench/AutoCrm.Webhooks.Bench -- [--tickets 400] [--rounds 5] [--deliveries 5000]
var tickets = Option("--tickets", 400);
var rounds = Option("--rounds", 5);
var deliveries = Option("--deliveries", 5000);
var ct = CancellationToken.None;

Console.WriteLine($"webhooks bench: {tickets} tickets x {rounds} rounds per write shape, {deliveries} deliveries; load {Load()}");
await using var stack = await DevStackServer.StartAsync(new DevStackOptions { Seed = false, EnforceAuthRateLimits = false }, ct);
var admin = FromUrl(stack.AdminDatabaseUrl);
using var service = new CrmClient(new CrmClientOptions { Url = stack.Url, ApiKey = stack.ServiceRoleKey });
var customer = (await service.Auth.Admin.CreateUserAsync(
    new AdminUserAttributes { Email = $"bench-{Guid.NewGuid():N}@bench.test", Password = "bench-password-1", EmailConfirm = true }, ct)).Id;

var created = await service.Rest.Rpc("create_webhook_endpoint", new JsonObject
{
    ["url"] = "http://127.0.0.1:9/placeholder",
    ["events"] = new JsonArray("ticket.created"),
}).ToJsonAsync(ct);
var endpoint = created.GetProperty("endpoint").GetProperty("id").GetGuid();
var secret = created.GetProperty("secret").GetString()!;

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
await using var receiver = builder.Build();
var received = 0;
receiver.MapAutoCrmWebhook("/hooks", secret, (_, _) =>
{
    Interlocked.Increment(ref received);
    return Task.CompletedTask;
});
await receiver.StartAsync(ct);
var hookUrl = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks";
await Sql($"update public.webhook_endpoints set url = '{hookUrl}', active = false where id = '{endpoint}'");

// 1. Write path: interleaved rounds, the same number of inserts each way.
var plain = new List<double>();
var withOutbox = new List<double>();
for (var round = 0; round < rounds; round++)
{
    await Sql($"update public.webhook_endpoints set active = false where id = '{endpoint}'");
    plain.Add(await CreateTicketsAsync(tickets));
    await Sql($"update public.webhook_endpoints set active = true where id = '{endpoint}'");
    withOutbox.Add(await CreateTicketsAsync(tickets));
}

var plainMs = Median(plain);
var outboxMs = Median(withOutbox);
Console.WriteLine($"create ticket, no endpoint subscribed : {plainMs:0.000} ms/ticket (median of {rounds} rounds)  load {Load()}");
Console.WriteLine($"create ticket, one endpoint subscribed: {outboxMs:0.000} ms/ticket (median of {rounds} rounds)  load {Load()}");
Console.WriteLine($"outbox write-path ratio: {outboxMs / plainMs:0.00}x (goal <= 1.20)");

// 2. Throughput. Queue the deliveries (bulk insert: each ticket queues one), then drain them.
foreach (var dispatchers in new[] { 1, 2 })
{
    await Sql($"update public.webhook_deliveries set state = 'delivered' where state = 'pending'");
    await Sql($"insert into public.tickets (subject, requester_id) select 'bench ' || g, '{customer}' from generate_series(1, {deliveries}) g");
    var before = Volatile.Read(ref received);
    var stopwatch = Stopwatch.StartNew();
    using var stop = new CancellationTokenSource();
    var running = Enumerable.Range(0, dispatchers).Select(i => Task.Run(async () =>
    {
        using var dispatcher = new WebhookDispatcher(new WebhookDispatcherOptions
        {
            Url = stack.Url,
            ServiceRoleKey = stack.ServiceRoleKey,
            Name = $"bench-{i}",
            BatchSize = 200,
            MaxConcurrency = 16,
            PollInterval = TimeSpan.FromMilliseconds(50),
        });
        try
        {
            await dispatcher.RunAsync(stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    })).ToList();
    while (await Scalar("select count(*) from public.webhook_deliveries where state = 'pending'") > 0)
    {
        await Task.Delay(100);
    }

    stopwatch.Stop();
    stop.Cancel();
    await Task.WhenAll(running);
    var rate = deliveries / stopwatch.Elapsed.TotalSeconds;
    Console.WriteLine($"dispatcher x{dispatchers}: {deliveries} deliveries in {stopwatch.Elapsed.TotalSeconds:0.0} s = {rate:0} deliveries/s ({Volatile.Read(ref received) - before} received)  load {Load()}");
}

// Baseline: the same signed bodies posted by a bare HttpClient, 16 at a time, nothing recorded.
var sample = await SignedSampleAsync();
using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
var baseline = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, deliveries), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, token) =>
{
    using var request = new HttpRequestMessage(HttpMethod.Post, hookUrl) { Content = new StringContent(sample.Body, Encoding.UTF8, "application/json") };
    request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, sample.Signature);
    request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, Guid.NewGuid().ToString());
    using var response = await http.SendAsync(request, token);
    response.EnsureSuccessStatusCode();
});
baseline.Stop();
var rawRate = deliveries / baseline.Elapsed.TotalSeconds;
Console.WriteLine($"baseline, raw HttpClient x16: {deliveries} posts in {baseline.Elapsed.TotalSeconds:0.0} s = {rawRate:0} posts/s  load {Load()}");
return 0;

async Task<double> CreateTicketsAsync(int count)
{
    await using var connection = new NpgsqlConnection(admin);
    await connection.OpenAsync(ct);
    var stopwatch = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        await using var command = new NpgsqlCommand("insert into public.tickets (subject, requester_id) values (@subject, @customer)", connection);
        command.Parameters.AddWithValue("subject", "write path " + i);
        command.Parameters.AddWithValue("customer", customer);
        await command.ExecuteNonQueryAsync(ct);
    }

    return stopwatch.Elapsed.TotalMilliseconds / count;
}

async Task<(string Body, string Signature)> SignedSampleAsync()
{
    // A delivery signed by the database, as the dispatcher gets it: queue one ticket and lease it.
    await Sql($"insert into public.tickets (subject, requester_id) values ('baseline sample', '{customer}')");
    using var crm = new CrmClient(new CrmClientOptions { Url = stack.Url, ApiKey = stack.ServiceRoleKey });
    var leased = await crm.Rest.Rpc("lease_webhook_deliveries", new JsonObject { ["max_count"] = 1, ["lease_seconds"] = 60, ["dispatcher"] = "bench" }).ToJsonAsync(ct);
    var row = leased.EnumerateArray().First();
    return (row.GetProperty("body").GetString()!, row.GetProperty("signature").GetString()!);
}

async Task Sql(string sql)
{
    await using var connection = new NpgsqlConnection(admin);
    await connection.OpenAsync(ct);
    // Setup statements (enqueuing tens of thousands of deliveries) outlast Npgsql's 30 s default.
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
    await command.ExecuteNonQueryAsync(ct);
}

async Task<long> Scalar(string sql)
{
    await using var connection = new NpgsqlConnection(admin);
    await connection.OpenAsync(ct);
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
    return (long)(await command.ExecuteScalarAsync(ct))!;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static string FromUrl(string url)
{
    var uri = new Uri(url);
    var user = uri.UserInfo.Split(':');
    return new NpgsqlConnectionStringBuilder
    {
        Host = uri.Host,
        Port = uri.Port,
        Database = uri.AbsolutePath.TrimStart('/'),
        Username = Uri.UnescapeDataString(user[0]),
        Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
    }.ConnectionString;
}

static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
