using AutoCrm.Benchmarks.Shared;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Realtime;
using Npgsql;

namespace AutoCrm.Sdk.Realtime.Bench;

/// <summary>Latency figures of one population of subscribers (SDK clients or raw websockets) for one run.</summary>
internal sealed record Population(string Name, long Expected, long Delivered, long Duplicates, long Foreign, double[] Sorted)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Name,-28} delivered {Delivered}/{Expected} (lost {Math.Max(0, Expected - Delivered)}, duplicates {Duplicates}, unexpected {Foreign})  p50 {Pct(0.50),6:F1} ms  p95 {Pct(0.95),6:F1} ms  p99 {Pct(0.99),6:F1} ms  max {(Sorted.Length == 0 ? double.NaN : Sorted[^1]),6:F1} ms");

    public double Pct(double p) =>
        Sorted.Length == 0 ? double.NaN : Sorted[Math.Min(Sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(p * Sorted.Length) - 1))];
}

/// <summary>
/// End to end: a commit in PostgreSQL → the DevStack's Realtime (replication, per-subscriber RLS check, websocket) →
/// the SDK (Phoenix decode, typed <see cref="TicketChange"/>, Rx) → <c>OnNext</c>, measured against the change's
/// commit timestamp as the server sends it (<see cref="TicketChange.CommitTimestamp"/>). Each SDK client is its own
/// <see cref="CrmClient"/> with its own password sign-in (own session and socket). The baseline, measured in the same
/// run on the same changes: a few raw websockets (no SDK) subscribed the same way, timed when the frame is received.
/// </summary>
internal sealed class EndToEndBench : IAsyncDisposable
{
    private static readonly string[] Emails = ["admin@autocrm.demo", "agent.alice@autocrm.demo", "agent.bob@autocrm.demo"];

    private readonly DevStackServer _stack;
    private readonly string _connectionString;
    private readonly List<Guid> _tickets = [];
    private readonly List<Client> _sdk = [];
    private readonly List<RawSocket> _raw = [];
    private readonly Dictionary<Guid, int> _sdkAudience = [];
    private readonly Dictionary<Guid, int> _rawAudience = [];
    private string _run = "";

    private EndToEndBench(DevStackServer stack)
    {
        _stack = stack;
        var uri = new Uri(stack.DatabaseUrl);
        var user = uri.UserInfo.Split(':');
        _connectionString = $"Host={uri.Host};Port={uri.Port};Username={user[0]};Password={user[1]};Database={uri.AbsolutePath.TrimStart('/')}";
    }

    public static async Task<EndToEndBench> CreateAsync(DevStackServer stack, int clients, int rawSockets)
    {
        var bench = new EndToEndBench(stack);
        await using (var connection = new NpgsqlConnection(bench._connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select id from public.tickets order by number", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                bench._tickets.Add(reader.GetGuid(0));
            }
        }

        // The raw sockets are spread evenly among the SDK clients (the server fans a change out in subscription order).
        var total = clients + rawSockets;
        var rawIndexes = Enumerable.Range(0, rawSockets).Select(k => (int)((k + 0.5) * total / rawSockets)).ToHashSet();
        var visible = new Dictionary<string, List<Guid>>();
        for (var i = 0; i < total; i++)
        {
            var email = Emails[i % Emails.Length];
            var isRaw = rawIndexes.Contains(i);
            var crm = new CrmClient(new CrmClientOptions { Url = stack.Url, ApiKey = stack.AnonKey });
            var session = await crm.Auth.SignInWithPasswordAsync(email, "autocrm-demo");
            if (!visible.TryGetValue(email, out var tickets))
            {
                tickets = await bench.VisibleAsync(session.User!.Id);
                visible[email] = tickets;
            }

            var audience = !isRaw ? bench._sdkAudience : bench._rawAudience;
            foreach (var ticket in tickets)
            {
                audience[ticket] = audience.GetValueOrDefault(ticket) + 1;
            }

            if (!isRaw)
            {
                var client = new Client(crm, bench);
                client.Subscription = await crm.Realtime.TicketChanges().SubscribeAsync(client);
                bench._sdk.Add(client);
            }
            else
            {
                bench._raw.Add(await RawSocket.ConnectAsync(stack, session.AccessToken, bench));
                crm.Dispose();
            }
        }

        return bench;
    }

    public async Task<(Population Sdk, Population Raw)> RunAsync(int rate, TimeSpan duration)
    {
        _run = Guid.NewGuid().ToString("N")[..8];
        var total = (int)(rate * duration.TotalSeconds);
        foreach (var c in _sdk)
        {
            c.Reset(total);
        }

        foreach (var r in _raw)
        {
            r.Reset(total);
        }

        long sdkExpected = 0, rawExpected = 0;
        var clock = Stopwatch.StartNew();
        var next = 0;
        var writers = Math.Clamp(rate / 150, 1, 8);
        var tasks = Enumerable.Range(0, writers).Select(async _ =>
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand(
                "update public.tickets set metadata = metadata || jsonb_build_object('bench', $2::text, 'seq', $3::int) where id = $1", connection);
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            update.Parameters.Add(new NpgsqlParameter { Value = _run });
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            while (true)
            {
                var seq = Interlocked.Increment(ref next) - 1;
                if (seq >= total)
                {
                    return;
                }

                // Open-loop schedule: change #seq is due at seq / rate seconds.
                var due = TimeSpan.FromSeconds(seq / (double)rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }

                var ticket = _tickets[seq % _tickets.Count];
                update.Parameters[0].Value = ticket;
                update.Parameters[2].Value = seq;
                await update.ExecuteNonQueryAsync();
                Interlocked.Add(ref sdkExpected, _sdkAudience.GetValueOrDefault(ticket));
                Interlocked.Add(ref rawExpected, _rawAudience.GetValueOrDefault(ticket));
            }
        }).ToList();
        await Task.WhenAll(tasks);

        // Drain: until everything expected arrived, or 5 s without progress.
        long Delivered() => _sdk.Sum(c => c.Delivered) + _raw.Sum(r => r.Delivered);
        var last = -1L;
        var idle = Stopwatch.StartNew();
        while (Delivered() < sdkExpected + rawExpected && idle.Elapsed < TimeSpan.FromSeconds(5))
        {
            var now = Delivered();
            if (now != last)
            {
                last = now;
                idle.Restart();
            }

            await Task.Delay(50);
        }

        // Late duplicates: give them a moment to show up too.
        await Task.Delay(500);
        return (
            Summarize($"SDK OnNext ({_sdk.Count} clients)", sdkExpected, _sdk.Select(c => c.Recorder)),
            Summarize($"raw websocket ({_raw.Count} sockets)", rawExpected, _raw.Select(r => r.Recorder)));
    }

    private static Population Summarize(string name, long expected, IEnumerable<Recorder> recorders)
    {
        var list = recorders.ToList();
        var all = list.SelectMany(r => r.Latencies).Order().ToArray();
        return new Population(name, expected, list.Sum(r => r.Delivered), list.Sum(r => r.Duplicates), list.Sum(r => r.Foreign), all);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _sdk)
        {
            c.Subscription?.Dispose();
            c.Crm.Dispose();
        }

        foreach (var r in _raw)
        {
            await r.DisposeAsync();
        }
    }

    private async Task<List<Guid>> VisibleAsync(Guid user)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", connection, tx))
        {
            var claims = new JsonObject { ["sub"] = user.ToString(), ["role"] = "authenticated", ["aud"] = "authenticated" };
            set.Parameters.Add(new NpgsqlParameter { Value = claims.ToJsonString() });
            await set.ExecuteNonQueryAsync();
        }

        await using var select = new NpgsqlCommand("select id from public.tickets", connection, tx);
        await using var reader = await select.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    /// <summary>Per-subscriber bookkeeping: latencies, and which change numbers arrived (to count losses and duplicates).</summary>
    private sealed class Recorder
    {
        private readonly Lock _gate = new();
        private bool[] _seen = [];

        public List<double> Latencies { get; private set; } = [];

        public long Delivered { get; private set; }

        public long Duplicates { get; private set; }

        public long Foreign { get; private set; }

        public void Reset(int total)
        {
            lock (_gate)
            {
                _seen = new bool[total];
                Latencies = new List<double>(total);
                Delivered = Duplicates = Foreign = 0;
            }
        }

        public void Record(int seq, double latencyMs)
        {
            lock (_gate)
            {
                if (seq < 0 || seq >= _seen.Length)
                {
                    Foreign++;
                }
                else if (_seen[seq])
                {
                    Duplicates++;
                }
                else
                {
                    _seen[seq] = true;
                    Delivered++;
                    Latencies.Add(latencyMs);
                }
            }
        }
    }

    /// <summary>One SDK client: <c>crm.Realtime.TicketChanges()</c>, timed in <c>OnNext</c>.</summary>
    private sealed class Client(CrmClient crm, EndToEndBench bench) : IObserver<TicketChange>
    {
        public CrmClient Crm => crm;

        public IDisposable? Subscription { get; set; }

        public Recorder Recorder { get; } = new();

        public long Delivered => Recorder.Delivered;

        public void Reset(int total) => Recorder.Reset(total);

        public void OnNext(TicketChange value)
        {
            var now = DateTimeOffset.UtcNow;
            if (value.New?.Metadata is { } metadata
                && metadata["bench"]?.GetString() == bench._run
                && metadata["seq"] is { } seq)
            {
                Recorder.Record(seq.GetInt32(), (now - value.CommitTimestamp).TotalMilliseconds);
            }
        }

        public void OnError(Exception error) => Console.Error.WriteLine($"SDK stream failed: {error.Message}");

        public void OnCompleted()
        {
        }
    }

    /// <summary>The baseline: a bare websocket (vsn 2.0.0) joined like the SDK does, timed when a frame is received.</summary>
    private sealed class RawSocket : IAsyncDisposable
    {
        private RawRealtimeSubscriber? _subscriber;

        public Recorder Recorder { get; } = new();

        public long Delivered => Recorder.Delivered;

        public void Reset(int total) => Recorder.Reset(total);

        public static async Task<RawSocket> ConnectAsync(DevStackServer stack, string accessToken, EndToEndBench bench)
        {
            var raw = new RawSocket();
            raw._subscriber = await RawRealtimeSubscriber.ConnectAsync(stack.Url, stack.AnonKey, accessToken, "2.0.0", (payload, receivedAt) =>
            {
                var data = payload.GetProperty("data");
                if (data.TryGetProperty("record", out var record)
                    && record.TryGetProperty("metadata", out var metadata)
                    && metadata.TryGetProperty("bench", out var marker)
                    && marker.GetString() == bench._run
                    && metadata.TryGetProperty("seq", out var seq))
                {
                    var committed = DateTimeOffset.Parse(data.GetProperty("commit_timestamp").GetString()!, CultureInfo.InvariantCulture);
                    raw.Recorder.Record(seq.GetInt32(), (receivedAt - committed).TotalMilliseconds);
                }
            });
            return raw;
        }

        public ValueTask DisposeAsync() => _subscriber?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
