using System.Globalization;
using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>
/// Pins the plans of the report functions (docs/reports.md) on 100,000 tickets with 300,000 metric facts, 33,000 ratings
/// and 100,000 SLA clocks over three years and 20 queues: every statement they run (the nested ones too, through <c>auto_explain</c>) reads the facts
/// and ratings through their covering indexes (an index-only scan of the period, never a sequential scan), the
/// backlog reads the per-day table and only the last day's facts (not every fact before the end), the counts (summary,
/// count and CSAT series) read the hourly rollups and only the facts and ratings of the period's partial hours, an
/// agent's report reads the queue index, and the SLA clocks that ended in the period are found by their end (an index),
/// each joined to its ticket by primary key. No timing is asserted
/// (bench/AutoCrm.Scale.Bench "reports" measures it).
/// </summary>
public sealed class ReportPlanTests(SharedCluster shared)
{
    private const string Agent = "71000000-0000-4000-8000-000000000002";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reports_read_the_period_through_covering_indexes_and_the_backlog_through_the_daily_table()
    {
        var db = await shared.CreateMigratedDatabaseAsync("reportplan", cancellationToken: Ct);
        await ExecuteAsync(db, $"""
            insert into auth.users (id, aud, role, email) values
              ('71000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'requester@test.local'),
              ('{Agent}', 'authenticated', 'authenticated', 'agent@test.local');
            update public.profiles set role = 'agent' where id = '{Agent}';
            insert into public.queues (id, slug, name)
            select ('72000000-0000-4000-8000-' || lpad(q::text, 12, '0'))::uuid, 'q' || q, 'Queue ' || q from generate_series(1, 20) q;
            insert into public.queue_members (queue_id, agent_id) values ('72000000-0000-4000-8000-000000000001', '{Agent}');
            alter table public.tickets disable trigger user;
            insert into public.tickets (subject, requester_id, queue_id, created_at)
            select 'ticket ' || n, '71000000-0000-4000-8000-000000000001',
                   ('72000000-0000-4000-8000-' || lpad((1 + n % 20)::text, 12, '0'))::uuid,
                   timestamptz '2024-01-01' + make_interval(mins => n * 15)
              from generate_series(1, 100000) n;
            alter table public.tickets enable trigger user;
            insert into public.ticket_metric_facts (ticket_id, kind, occurred_at, queue_id, agent_id, priority, channel,
                                                    calendar_minutes, business_minutes, sequence, replies)
            select t.id, k.kind, t.created_at + make_interval(mins => k.after), t.queue_id,
                   case when k.kind = 'created' then null else '{Agent}'::uuid end, 'normal', 'email',
                   case when k.kind = 'created' then null else k.after + t.number % 97 + (t.number % 1000) / 1000.0 end,
                   case when k.kind = 'created' then null else round((k.after + t.number % 89) * 0.37 + (t.number % 10000) / 10000.0, 4) end,
                   case when k.kind = 'resolution' then 1 + t.number % 5 / 4 end, case when k.kind = 'resolution' then t.number % 7 end
              from public.tickets t
             cross join (values ('created', 0), ('first_reply', 30), ('resolution', 600)) k (kind, after);
            insert into public.ticket_ratings (ticket_id, resolution, requester_id, scale, score, satisfied, solved_at, queue_id,
                                               agent_id, priority, channel, created_at, updated_at)
            select t.id, 1, t.requester_id, 'good_bad', t.number % 2, t.number % 2 = 1, t.created_at + interval '10 hours',
                   t.queue_id, '{Agent}', 'normal', 'email', t.created_at + interval '11 hours', t.created_at + interval '11 hours'
              from public.tickets t where t.number % 3 = 0;
            insert into public.ticket_slas (ticket_id, metric, target_minutes, started_at, fulfilled_at)
            select t.id, 'resolution', 600, t.created_at, t.created_at + interval '10 hours' from public.tickets t;
            """);
        await ExecuteAsync(db, "vacuum analyze public.tickets, public.ticket_metric_facts, public.ticket_ratings, public.ticket_slas, autocrm_private.ticket_backlog_daily");

        // Periods that start inside an hour: the rollups answer the whole hours, the facts only the partial ones.
        var summary = await PlansAsync(db, null, "select * from public.report_summary('2025-07-01 00:30', '2025-10-01')");
        var series = await PlansAsync(db, null,
            "select * from public.report_timeseries('first_reply_median', 'day', '2025-07-01', '2025-09-29', 'queue', 'Europe/Berlin')");
        var created = await PlansAsync(db, null,
            "select * from public.report_timeseries('tickets_created', 'day', '2025-07-01 00:30', '2025-09-29', null, 'Europe/Berlin')");
        var csat = await PlansAsync(db, null,
            "select * from public.report_timeseries('csat_percent', 'day', '2025-07-01 00:30', '2025-09-29', 'queue', 'Europe/Berlin')");
        var board = await PlansAsync(db, null, "select * from public.report_agent_leaderboard('2025-07-01', '2025-10-01')");
        var agent = await PlansAsync(db, Agent, "select * from public.report_summary('2025-07-01', '2025-10-01')");

        foreach (var plan in summary.Concat(series).Concat(created).Concat(csat).Concat(board).Concat(agent))
        {
            Assert.DoesNotContain("Seq Scan on ticket_metric_facts", plan, StringComparison.Ordinal);
            Assert.DoesNotContain("Seq Scan on ticket_ratings", plan, StringComparison.Ordinal);
            Assert.DoesNotContain("Seq Scan on tickets", plan, StringComparison.Ordinal);
        }

        // The period's facts: one index-only range of the time index (all queues) or of the queue index (an agent's).
        Assert.Contains(summary, p => p.Contains("Index Only Scan using ticket_metric_facts_time_idx", StringComparison.Ordinal));
        Assert.Contains(series, p => p.Contains("Index Only Scan using ticket_metric_facts_time_idx", StringComparison.Ordinal));
        Assert.Contains(board, p => p.Contains("Index Only Scan using ticket_metric_facts_time_idx", StringComparison.Ordinal));
        Assert.Contains(agent, p => p.Contains("ticket_metric_facts_queue_idx", StringComparison.Ordinal));

        // The backlog: the per-day table, and facts of the end's day only (at most a day's facts, here ~300 rows).
        foreach (var plans in new[] { summary, agent })
        {
            var backlog = Assert.Single(plans, p => p.Contains("ticket_backlog_daily", StringComparison.Ordinal));
            Assert.Contains("date_trunc", backlog, StringComparison.Ordinal);
        }

        // Counts (created, solved, replies, reopens, ratings) read the hourly rollups: the quarter holds ~8,800 created
        // facts and ~2,900 ratings, but the count queries read only the half hour at the start (2 tickets) and the
        // backlog's last day (~300 facts); the percentiles read their own kinds (first_reply, resolution) only.
        foreach (var plans in new[] { summary, created, csat, agent })
        {
            Assert.Contains(plans, p => p.Contains("on ticket_report_hourly", StringComparison.Ordinal));
        }

        Assert.All(ScansOf(summary, "ticket_metric_facts").Where(s => s.Condition.Contains("created", StringComparison.Ordinal)),
            s => Assert.True(s.Rows <= 400, $"a count read {s.Rows} facts: {s.Condition}"));
        Assert.All(ScansOf(summary, "ticket_ratings"), s => Assert.True(s.Rows <= 10, $"the ratings count read {s.Rows} ratings"));
        Assert.All(ScansOf(created, "ticket_metric_facts"), s => Assert.True(s.Rows <= 10, $"a count series read {s.Rows} facts"));
        Assert.All(ScansOf(csat, "ticket_ratings"), s => Assert.True(s.Rows <= 10, $"the CSAT series read {s.Rows} ratings"));
        Assert.NotEmpty(ScansOf(created, "ticket_metric_facts"));
        Assert.NotEmpty(ScansOf(csat, "ticket_ratings"));

        // The percentiles sort double precision: the time index keeps the minutes as double precision, and the
        // index-only range hands them to percentile_cont (no numeric value is converted per call).
        var verbose = await PlansAsync(db, null, "select * from public.report_summary('2025-07-01 00:30', '2025-10-01')", verbose: true);
        Assert.Contains(verbose, p => p.Contains("percentile_cont", StringComparison.Ordinal)
            && p.Contains("Index Only Scan using ticket_metric_facts_time_idx", StringComparison.Ordinal)
            && System.Text.RegularExpressions.Regex.IsMatch(p,
                @"Output: [^\n]*\(\(\w+\.calendar_minutes\)::double precision\), \(\(\w+\.business_minutes\)::double precision\)"));

        // Same numbers: every percentile of the summary equals percentile_cont over the numeric minutes read from the
        // table itself (no index: each value converted as the aggregate converts it), over values with three and four
        // decimals (0.345 is not exact in double precision).
        var reported = await TextAsync(db, $"select {SummaryPercentiles("s.")} from public.report_summary('2025-07-01 00:30', '2025-10-01') s", indexes: true);
        var reference = await TextAsync(db, $"select {SummaryPercentiles("r.")} from ({ReferencePercentiles}) r", indexes: false);
        Assert.Equal(reference, reported);
        Assert.Equal(10, reported.Split(' ').Count(v => v != "-")); // every percentile but next replies (none here)
    }

    [Fact]
    public async Task Percentiles_of_values_inexact_in_double_precision_round_as_their_decimals_do()
    {
        var db = await shared.CreateMigratedDatabaseAsync("reportexact", cancellationToken: Ct);

        // First replies of 12.34 and 12.35 minutes: median 12.345 and p90 12.349, both 12.35 to two decimals. One
        // resolution of 12.345 and one next reply of 2.005, neither exact in double precision (12.3449999... and
        // 2.00499999...): 12.35 and 2.01, as the decimals round (percentile_cont's result is read back to 15
        // significant digits before rounding). Two replies to resolution: 2.00.
        await ExecuteAsync(db, """
            insert into auth.users (id, aud, role, email)
            values ('71000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'requester@test.local');
            insert into public.tickets (id, subject, requester_id, created_at)
            values ('73000000-0000-4000-8000-000000000001', 'exact', '71000000-0000-4000-8000-000000000001', '2026-01-05 09:00Z');
            insert into public.ticket_metric_facts (ticket_id, kind, occurred_at, priority, calendar_minutes, business_minutes, sequence, replies)
            values ('73000000-0000-4000-8000-000000000001', 'first_reply', '2026-01-05 10:00Z', 'normal', 12.34, 12.34, null, null),
                   ('73000000-0000-4000-8000-000000000001', 'first_reply', '2026-01-05 11:00Z', 'normal', 12.35, 12.35, null, null),
                   ('73000000-0000-4000-8000-000000000001', 'next_reply', '2026-01-05 12:00Z', 'normal', 2.005, null, 1, null),
                   ('73000000-0000-4000-8000-000000000001', 'resolution', '2026-01-05 13:00Z', 'normal', 12.345, 12.345, 1, 2);
            """);
        var reported = await TextAsync(db, $"select {SummaryPercentiles("s.")} from public.report_summary('2026-01-05', '2026-01-06') s", indexes: true);
        Assert.Equal("12.35 12.35 12.35 12.35 2.01 12.35 12.35 12.35 12.35 12.35 2.00", reported);
    }

    // The summary's percentile columns of the row aliased by the prefix, as one space-separated text ("-": null).
    private static string SummaryPercentiles(string prefix) => "concat_ws(' ', " + string.Join(", ", new[]
    {
        "first_reply_median_minutes", "first_reply_p90_minutes", "first_reply_median_business_minutes",
        "first_reply_p90_business_minutes", "next_reply_median_minutes", "resolution_median_minutes", "resolution_p90_minutes",
        "resolution_median_business_minutes", "resolution_p90_business_minutes", "first_resolution_median_minutes",
        "replies_to_resolution_median",
    }.Select(c => $"coalesce({prefix}{c}::text, '-')")) + ")";

    // The summary's percentiles as docs/reports.md defines them, over the period's facts.
    private const string ReferencePercentiles = """
        select round((percentile_cont(0.5) within group (order by calendar_minutes) filter (where kind = 'first_reply'))::numeric, 2) as first_reply_median_minutes,
               round((percentile_cont(0.9) within group (order by calendar_minutes) filter (where kind = 'first_reply'))::numeric, 2) as first_reply_p90_minutes,
               round((percentile_cont(0.5) within group (order by business_minutes) filter (where kind = 'first_reply'))::numeric, 2) as first_reply_median_business_minutes,
               round((percentile_cont(0.9) within group (order by business_minutes) filter (where kind = 'first_reply'))::numeric, 2) as first_reply_p90_business_minutes,
               round((percentile_cont(0.5) within group (order by calendar_minutes) filter (where kind = 'next_reply'))::numeric, 2) as next_reply_median_minutes,
               round((percentile_cont(0.5) within group (order by calendar_minutes) filter (where kind = 'resolution'))::numeric, 2) as resolution_median_minutes,
               round((percentile_cont(0.9) within group (order by calendar_minutes) filter (where kind = 'resolution'))::numeric, 2) as resolution_p90_minutes,
               round((percentile_cont(0.5) within group (order by business_minutes) filter (where kind = 'resolution'))::numeric, 2) as resolution_median_business_minutes,
               round((percentile_cont(0.9) within group (order by business_minutes) filter (where kind = 'resolution'))::numeric, 2) as resolution_p90_business_minutes,
               round((percentile_cont(0.5) within group (order by calendar_minutes) filter (where kind = 'resolution' and sequence = 1))::numeric, 2) as first_resolution_median_minutes,
               round((percentile_cont(0.5) within group (order by replies) filter (where kind = 'resolution'))::numeric, 2) as replies_to_resolution_median
          from public.ticket_metric_facts
         where occurred_at >= '2025-07-01 00:30' and occurred_at < '2025-10-01'
        """;

    // One text value. Without indexes the facts are read from the table (a sequential scan), their minutes as stored.
    private static async Task<string> TextAsync(string db, string sql, bool indexes)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        if (!indexes)
        {
            await using var off = new NpgsqlCommand(
                "set local enable_indexscan = off; set local enable_indexonlyscan = off; set local enable_bitmapscan = off",
                connection, transaction);
            await off.ExecuteNonQueryAsync(Ct);
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        return Assert.IsType<string>(await command.ExecuteScalarAsync(Ct));
    }

    // Every scan node of a table in the plans (auto_explain with analyze): the rows it returned (times its loops) and
    // its index condition.
    private static List<(long Rows, string Condition)> ScansOf(List<string> plans, string table)
    {
        var scans = new List<(long Rows, string Condition)>();
        foreach (var plan in plans)
        {
            var lines = plan.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (!lines[i].Contains($" on {table} ", StringComparison.Ordinal))
                {
                    continue;
                }

                var match = System.Text.RegularExpressions.Regex.Match(lines[i], @"actual rows=(\d+) loops=(\d+)");
                Assert.True(match.Success, lines[i]);
                var condition = i + 1 < lines.Length && lines[i + 1].Contains("Cond:", StringComparison.Ordinal) ? lines[i + 1] : "";
                scans.Add((long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), condition));
            }
        }

        return scans;
    }

    // Loading 100,000 tickets with their facts takes longer than a command's default 30 s on a loaded machine.
    private static async Task ExecuteAsync(string db, string sql)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(Ct);
    }

    // The plans auto_explain reports for every statement the call runs (as the given agent, or as the database owner),
    // in a transaction rolled back afterwards.
    private static async Task<List<string>> PlansAsync(string db, string? agent, string sql, bool verbose = false)
    {
        var plans = new List<string>();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
        connection.Notice += (_, e) =>
        {
            if (e.Notice.MessageText.Contains("plan:", StringComparison.Ordinal))
            {
                lock (plans)
                {
                    plans.Add(e.Notice.MessageText);
                }
            }
        };
        await connection.OpenAsync(Ct);
        await using (var setUp = new NpgsqlCommand("""
            load 'auto_explain';
            set auto_explain.log_min_duration = 0;
            set auto_explain.log_nested_statements = on;
            set auto_explain.log_level = notice;
            set auto_explain.log_analyze = on;
            set auto_explain.log_timing = off;
            """ + (verbose ? "set auto_explain.log_verbose = on;" : ""), connection))
        {
            await setUp.ExecuteNonQueryAsync(Ct);
        }

        await using var transaction = await connection.BeginTransactionAsync(Ct);
        if (agent is not null)
        {
            await using var actAs = new NpgsqlCommand(
                "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', json_build_object('sub', @agent, 'role', 'authenticated')::text, true)",
                connection, transaction);
            actAs.Parameters.AddWithValue("agent", agent);
            await actAs.ExecuteNonQueryAsync(Ct);
        }

        await using (var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 })
        {
            await using var reader = await command.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
            }
        }

        await transaction.RollbackAsync(Ct);
        lock (plans)
        {
            Assert.NotEmpty(plans);
            return [.. plans];
        }
    }
}
