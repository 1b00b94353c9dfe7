using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Reports;

/// <summary>
/// Reports over the metric facts the database writes at event time (docs/reports.md): a period's summary, a time
/// series in a time zone's days, weeks or months, and the agent leaderboard. Admins see every ticket, agents their
/// queues; a customer's call is refused (<see cref="CrmForbiddenException"/>). Get it from <see cref="CrmClient.Reports"/>.
/// </summary>
public class ReportsClient
{
    private const int MaxPeriodDays = 400;
    private readonly RestClient _rest = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected ReportsClient()
    {
    }

    internal ReportsClient(RestClient rest) => _rest = rest;

    /// <summary>The numbers of the period [<paramref name="from"/>, <paramref name="to"/>) (<c>report_summary</c>).</summary>
    /// <param name="from">The start (inclusive).</param>
    /// <param name="to">The end (exclusive), at most 400 days later.</param>
    /// <param name="queueId">Only this queue.</param>
    /// <param name="agentId">Only this agent's facts (the backlog is then null).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="CrmValidationException">A bad period (field <c>to_at</c>).</exception>
    /// <exception cref="CrmForbiddenException">A customer, or an agent asking for a queue that is not theirs.</exception>
    /// <example><code>var q3 = await crm.Reports.GetSummaryAsync(new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero));</code></example>
    public virtual async Task<ReportSummary> GetSummaryAsync(
        DateTimeOffset from, DateTimeOffset to, Guid? queueId = null, Guid? agentId = null, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Reports.GetSummary");
        try
        {
            CheckPeriod(from, to);
            var arguments = Period(from, to);
            arguments["queue_id"] = queueId;
            arguments["agent_id"] = agentId;
            var rows = await _rest.Rpc("report_summary", arguments).AsIdempotent()
                .ToListAsync(CrmJsonContext.Default.ReportSummary, cancellationToken).ConfigureAwait(false);
            return rows.Count == 1 ? rows[0] : throw new CrmException(new CrmErrorInfo
            {
                Code = "invalid_response", Message = "report_summary returned no row.", IsTransient = false,
            });
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>One metric per bucket of the query's time zone (<c>report_timeseries</c>): every bucket of the period for
    /// every group with data, in bucket then group order.</summary>
    /// <param name="query">What, when, how split, in which zone.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The points; <see cref="ReportPoint.BucketStart"/> carries the zone's offset (when this machine knows the
    /// zone; otherwise UTC, the same instant).</returns>
    /// <exception cref="CrmValidationException">A bad period (field <c>to_at</c>), an unknown time zone (field
    /// <c>time_zone</c>) or a metric the database does not know (field <c>metric</c>).</exception>
    /// <exception cref="CrmForbiddenException">A customer, or an agent asking for a queue that is not theirs.</exception>
    public virtual async Task<IReadOnlyList<ReportPoint>> GetTimeSeriesAsync(ReportTimeSeriesQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var activity = CrmTelemetry.StartCall("Reports.GetTimeSeries");
        try
        {
            CheckPeriod(query.From, query.To);
            Guard.NotBlank(query.Metric.Value, "metric");
            Guard.NotBlank(query.TimeZone, "time_zone");
            var arguments = Period(query.From, query.To);
            arguments["metric"] = query.Metric.Value;
            arguments["bucket"] = EnumText.Get(query.Bucket);
            arguments["group_by"] = query.GroupBy == ReportGrouping.None ? null : EnumText.Get(query.GroupBy);
            arguments["time_zone"] = query.TimeZone;
            arguments["queue_id"] = query.QueueId;
            arguments["agent_id"] = query.AgentId;
            var points = await _rest.Rpc("report_timeseries", arguments).AsIdempotent()
                .ToListAsync(CrmJsonContext.Default.ReportPoint, cancellationToken).ConfigureAwait(false);
            // The database is the judge of zone names (it refuses an unknown one with field time_zone). Where this machine
            // knows the zone too, each bucket start is shown with the zone's offset (the local midnight it is); otherwise
            // it stays in UTC, the same instant.
            return TimeZoneInfo.TryFindSystemTimeZoneById(query.TimeZone, out var zone)
                ? [.. points.Select(p => p with { BucketStart = TimeZoneInfo.ConvertTime(p.BucketStart, zone) })]
                : points;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Per agent over [<paramref name="from"/>, <paramref name="to"/>): answered replies, solves, medians and
    /// CSAT, most solves first (<c>report_agent_leaderboard</c>).</summary>
    /// <param name="from">The start (inclusive).</param>
    /// <param name="to">The end (exclusive), at most 400 days later.</param>
    /// <param name="queueId">Only this queue.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="CrmValidationException">A bad period (field <c>to_at</c>).</exception>
    /// <exception cref="CrmForbiddenException">A customer, or an agent asking for a queue that is not theirs.</exception>
    public virtual async Task<IReadOnlyList<AgentLeaderboardEntry>> GetAgentLeaderboardAsync(
        DateTimeOffset from, DateTimeOffset to, Guid? queueId = null, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Reports.GetAgentLeaderboard");
        try
        {
            CheckPeriod(from, to);
            var arguments = Period(from, to);
            arguments["queue_id"] = queueId;
            return await _rest.Rpc("report_agent_leaderboard", arguments).AsIdempotent()
                .ToListAsync(CrmJsonContext.Default.AgentLeaderboardEntry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private static JsonObject Period(DateTimeOffset from, DateTimeOffset to) => new() { ["from_at"] = from, ["to_at"] = to };

    // The database's own rules, checked before sending so the caller sees one wording either way.
    private static void CheckPeriod(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            throw CrmErrors.Invalid("to_at", "field \"to_at\": must be after from_at");
        }

        if (to - from > TimeSpan.FromDays(MaxPeriodDays))
        {
            throw CrmErrors.Invalid("to_at", "field \"to_at\": a report covers at most 400 days");
        }
    }
}
