using AutoCrm.Benchmarks.Shared;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.DevStack;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace AutoCrm.Realtime.Bench;

/// <summary>Result of one run at a fixed change rate.</summary>
internal sealed record RunResult(
    int Rate, int Changes, long Expected, long Delivered, double P50Ms, double P95Ms, double P99Ms, double MaxMs,
    int BaselineCount, double BaselineP50Ms, double BaselineP99Ms)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"rate {Rate,5}/s  changes {Changes,6}  frames {Delivered}/{Expected}  p50 {P50Ms,7:F1} ms  p95 {P95Ms,7:F1} ms  p99 {P99Ms,7:F1} ms  max {MaxMs,7:F1} ms  | raw replication ({BaselineCount} commits) p50 {BaselineP50Ms,6:F1} ms  p99 {BaselineP99Ms,6:F1} ms");
}

/// <summary>Subscribers, a writer and the latency bookkeeping.</summary>
internal sealed class LatencyBench : IAsyncDisposable
{
    private static readonly Guid[] Users =
    [
        Guid.Parse("a0000000-0000-4000-8000-000000000001"), Guid.Parse("a0000000-0000-4000-8000-000000000002"),
        Guid.Parse("a0000000-0000-4000-8000-000000000003"), Guid.Parse("c0000000-0000-4000-8000-000000000001"),
        Guid.Parse("c0000000-0000-4000-8000-000000000002"), Guid.Parse("c0000000-0000-4000-8000-000000000003"),
    ];

    private readonly List<RawRealtimeSubscriber> _subscribers = [];
    private readonly string _connectionString;
    private readonly List<Guid> _tickets = [];
    private readonly Dictionary<Guid, int> _audience = [];
    private readonly CancellationTokenSource _stop = new();
    private ConcurrentBag<double> _latencies = [];
    private ConcurrentBag<double> _baseline = [];
    private Task _replication = Task.CompletedTask;
    private long _delivered;
    private string _run = "";

    private LatencyBench(string connectionString) => _connectionString = connectionString;

    public int DistinctUsers => Math.Min(Users.Length, _subscribers.Count);

    /// <summary>The subscribers' latencies (ms) of the last run, sorted.</summary>
    public double[] Latencies { get; private set; } = [];

    public static async Task<LatencyBench> CreateAsync(DevStackServer stack, int sockets)
    {
        var uri = new Uri(stack.DatabaseUrl);
        var user = uri.UserInfo.Split(':');
        var bench = new LatencyBench($"Host={uri.Host};Port={uri.Port};Username={user[0]};Password={user[1]};Database={uri.AbsolutePath.TrimStart('/')}");
        await bench.LoadTicketsAsync();
        bench._replication = Task.Run(() => bench.RawReplicationAsync(bench._stop.Token));
        for (var i = 0; i < sockets; i++)
        {
            var userId = Users[i % Users.Length];
            var subscriber = await RawRealtimeSubscriber.ConnectAsync(stack.Url, stack.AnonKey, Token(Claims(userId)), i % 2 == 0 ? "1.0.0" : "2.0.0", bench.Record);
            bench._subscribers.Add(subscriber);
            foreach (var ticket in await bench.VisibleAsync(userId))
            {
                bench._audience[ticket] = bench._audience.GetValueOrDefault(ticket) + 1;
            }
        }

        return bench;
    }

    public async Task<RunResult> RunAsync(int rate, TimeSpan duration)
    {
        _latencies = [];
        _baseline = [];
        Interlocked.Exchange(ref _delivered, 0);
        _run = Guid.NewGuid().ToString("N")[..8];
        var total = (int)(rate * duration.TotalSeconds);
        long expected = 0;
        var writers = Math.Clamp(rate / 150, 1, 8);
        var clock = Stopwatch.StartNew();
        var next = 0;
        var tasks = Enumerable.Range(0, writers).Select(async _ =>
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand(
                "update public.tickets set metadata = metadata || jsonb_build_object('bench', $2::text) where id = $1", connection);
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            update.Parameters.Add(new NpgsqlParameter { Value = _run });
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
                await update.ExecuteNonQueryAsync();
                Interlocked.Add(ref expected, _audience.GetValueOrDefault(ticket));
            }
        }).ToList();
        await Task.WhenAll(tasks);

        // Let the tail drain: wait until every expected frame arrived or 5 s passed without progress.
        var last = -1L;
        var idle = Stopwatch.StartNew();
        while (Interlocked.Read(ref _delivered) < expected && idle.Elapsed < TimeSpan.FromSeconds(5))
        {
            var now = Interlocked.Read(ref _delivered);
            if (now != last)
            {
                last = now;
                idle.Restart();
            }

            await Task.Delay(50);
        }

        var sorted = _latencies.Order().ToArray();
        Latencies = sorted;
        var baseline = _baseline.Order().ToArray();
        return new RunResult(
            rate, total, expected, Interlocked.Read(ref _delivered), Pct(sorted, 0.50), Pct(sorted, 0.95), Pct(sorted, 0.99), sorted.LastOrDefault(),
            baseline.Length, Pct(baseline, 0.50), Pct(baseline, 0.99));

        static double Pct(double[] sorted, double p) =>
            sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    /// <summary>The subjects of the seeded tickets (what filters on <c>subject</c> run on).</summary>
    public async Task<List<string>> SubjectsAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select subject from public.tickets", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var subjects = new List<string>();
        while (await reader.ReadAsync())
        {
            subjects.Add(reader.GetString(0));
        }

        return subjects;
    }

    /// <summary>The same-run A/B of the dispatcher's database work (see <see cref="RlsCheckBench"/>).</summary>
    public Task<string> RunRlsCheckAsync(int groups, int rounds) => RlsCheckBench.RunAsync(_connectionString, Users, _tickets, groups, rounds);

    internal void Record(JsonElement payload, DateTimeOffset receivedAt)
    {
        var data = payload.GetProperty("data");
        if (!data.TryGetProperty("record", out var record)
            || !record.TryGetProperty("metadata", out var metadata)
            || !metadata.TryGetProperty("bench", out var marker)
            || marker.GetString() != _run)
        {
            return;
        }

        var committed = DateTimeOffset.Parse(data.GetProperty("commit_timestamp").GetString()!, CultureInfo.InvariantCulture);
        _latencies.Add((receivedAt - committed).TotalMilliseconds);
        Interlocked.Increment(ref _delivered);
    }

    /// <summary>
    /// The baseline measured in the same run: a bare pgoutput consumer of the same publication (its own temporary
    /// slot, no decoding beyond the protocol, no RLS, no websocket): commit timestamp → commit message received.
    /// What the DevStack adds is its latency minus this one.
    /// </summary>
    private async Task RawReplicationAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = new LogicalReplicationConnection(_connectionString);
            await connection.Open(ct);
            var slot = await connection.CreatePgOutputReplicationSlot(
                "bench_raw_" + Guid.NewGuid().ToString("N")[..12], temporarySlot: true, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport, cancellationToken: ct);
            var changed = false;
            await foreach (var message in connection.StartReplication(slot, new PgOutputReplicationOptions("supabase_realtime", PgOutputProtocolVersion.V1), ct))
            {
                switch (message)
                {
                    case UpdateMessage:
                        changed = true;
                        break;
                    case CommitMessage commit:
                        if (changed)
                        {
                            _baseline.Add((DateTimeOffset.UtcNow - new DateTimeOffset(commit.TransactionCommitTimestamp)).TotalMilliseconds);
                        }

                        changed = false;
                        connection.SetReplicationStatus(commit.TransactionEndLsn);
                        break;
                    default:
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopped
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _replication;
        foreach (var subscriber in _subscribers)
        {
            await subscriber.DisposeAsync();
        }

        _stop.Dispose();
    }

    private async Task LoadTicketsAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select id from public.tickets order by number", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            _tickets.Add(reader.GetGuid(0));
        }
    }

    private async Task<List<Guid>> VisibleAsync(Guid user)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", connection, tx))
        {
            set.Parameters.Add(new NpgsqlParameter { Value = Claims(user).ToJsonString() });
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

    internal static JsonObject Claims(Guid user) => new()
    {
        ["sub"] = user.ToString(),
        ["role"] = "authenticated",
        ["aud"] = "authenticated",
        ["session_id"] = Guid.NewGuid().ToString(),
        ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
    };

    internal static string Token(JsonObject claims)
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var head = B64("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray()) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return head + "." + B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(DevStackDefaults.JwtSecret), Encoding.ASCII.GetBytes(head)));
    }

    /// <summary>One websocket subscribed to all ticket changes as one user; reads frames on its own task.</summary>
}
