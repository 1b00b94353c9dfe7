using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Reports;

/// <summary>The length of a time series bucket, in the query's time zone.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<ReportBucket>))]
public enum ReportBucket
{
    /// <summary>A local calendar day (23 or 25 hours across a DST change).</summary>
    Day,

    /// <summary>Monday to Sunday.</summary>
    Week,

    /// <summary>A calendar month.</summary>
    Month,
}

/// <summary>What a time series is split by (the value recorded on each fact, at its moment).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<ReportGrouping>))]
public enum ReportGrouping
{
    /// <summary>One series.</summary>
    None,

    /// <summary>By queue (<see cref="ReportPoint.GroupKey"/> is the queue id).</summary>
    Queue,

    /// <summary>By agent (the agent id).</summary>
    Agent,

    /// <summary>By priority (<c>low</c> … <c>urgent</c>).</summary>
    Priority,

    /// <summary>By <c>metadata.channel</c>.</summary>
    Channel,
}

/// <summary>The numbers of one period (<c>report_summary</c>; docs/reports.md defines each). Minutes are calendar minutes
/// unless the name says business; a median, percentile or percentage of nothing is null.</summary>
public sealed record ReportSummary
{
    /// <summary>Tickets created in the period.</summary>
    public required long TicketsCreated { get; init; }

    /// <summary>Solves in the period (a ticket solved twice counts twice).</summary>
    public required long TicketsSolved { get; init; }

    /// <summary>First replies in the period.</summary>
    public required long FirstReplyCount { get; init; }

    /// <summary>Median first reply time.</summary>
    public decimal? FirstReplyMedianMinutes { get; init; }

    /// <summary>90th percentile of the first reply time.</summary>
    public decimal? FirstReplyP90Minutes { get; init; }

    /// <summary>Median first reply time in business minutes.</summary>
    public decimal? FirstReplyMedianBusinessMinutes { get; init; }

    /// <summary>90th percentile of the first reply time in business minutes.</summary>
    public decimal? FirstReplyP90BusinessMinutes { get; init; }

    /// <summary>Next replies in the period.</summary>
    public required long NextReplyCount { get; init; }

    /// <summary>Median next reply time.</summary>
    public decimal? NextReplyMedianMinutes { get; init; }

    /// <summary>Median full resolution time (creation to each solve).</summary>
    public decimal? ResolutionMedianMinutes { get; init; }

    /// <summary>90th percentile of the full resolution time.</summary>
    public decimal? ResolutionP90Minutes { get; init; }

    /// <summary>Median full resolution time in business minutes.</summary>
    public decimal? ResolutionMedianBusinessMinutes { get; init; }

    /// <summary>90th percentile of the full resolution time in business minutes.</summary>
    public decimal? ResolutionP90BusinessMinutes { get; init; }

    /// <summary>Median first resolution time (creation to the first solve).</summary>
    public decimal? FirstResolutionMedianMinutes { get; init; }

    /// <summary>Median number of public staff replies before a solve.</summary>
    public decimal? RepliesToResolutionMedian { get; init; }

    /// <summary>Reopens in the period.</summary>
    public required long Reopens { get; init; }

    /// <summary>Reopens / solves × 100.</summary>
    public decimal? ReopenRatePercent { get; init; }

    /// <summary>Tickets open at the end of the period; null for an agent filter.</summary>
    public long? BacklogAtEnd { get; init; }

    /// <summary>Ratings of solves in the period.</summary>
    public required long Ratings { get; init; }

    /// <summary>Satisfied ratings / ratings × 100.</summary>
    public decimal? CsatPercent { get; init; }

    /// <summary>SLA clocks that ended in the period.</summary>
    public required long SlaClocks { get; init; }

    /// <summary>Clocks never breached / clocks × 100.</summary>
    public decimal? SlaAchievementPercent { get; init; }
}

/// <summary>A time series request (<c>report_timeseries</c>).</summary>
public sealed record ReportTimeSeriesQuery
{
    /// <summary>What to measure.</summary>
    public required ReportMetric Metric { get; init; }

    /// <summary>The bucket length.</summary>
    public ReportBucket Bucket { get; init; } = ReportBucket.Day;

    /// <summary>The period's start (inclusive).</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>The period's end (exclusive); at most 400 days after <see cref="From"/>.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>How to split the series.</summary>
    public ReportGrouping GroupBy { get; init; } = ReportGrouping.None;

    /// <summary>The IANA time zone whose days, weeks and months the buckets are (default UTC).</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>Only this queue.</summary>
    public Guid? QueueId { get; init; }

    /// <summary>Only this agent's facts.</summary>
    public Guid? AgentId { get; init; }
}

/// <summary>One bucket of one group of a time series.</summary>
public sealed record ReportPoint
{
    /// <summary>The bucket's start: the local midnight that begins it, with the time zone's offset at that instant.</summary>
    public required DateTimeOffset BucketStart { get; init; }

    /// <summary>The bucket's first local date.</summary>
    [JsonIgnore]
    public DateOnly LocalDate => DateOnly.FromDateTime(BucketStart.DateTime);

    /// <summary>The group (queue or agent id, priority, channel); null for a single series or facts without one.</summary>
    public string? GroupKey { get; init; }

    /// <summary>The count (0 when empty), or the minutes or percentage (null when empty).</summary>
    public decimal? Value { get; init; }

    /// <summary>How many facts (or ratings) the value comes from.</summary>
    public required long Samples { get; init; }
}

/// <summary>One agent's row of the leaderboard (<c>report_agent_leaderboard</c>).</summary>
public sealed record AgentLeaderboardEntry
{
    /// <summary>The agent.</summary>
    public required Guid AgentId { get; init; }

    /// <summary>The agent's display name.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Replies that answered someone (first and next replies).</summary>
    public required long Replies { get; init; }

    /// <summary>Solves while the agent was the assignee.</summary>
    public required long TicketsSolved { get; init; }

    /// <summary>Median first reply time of the agent's first replies.</summary>
    public decimal? FirstReplyMedianMinutes { get; init; }

    /// <summary>Median full resolution time of the agent's solves.</summary>
    public decimal? ResolutionMedianMinutes { get; init; }

    /// <summary>Ratings of the agent's solves.</summary>
    public required long Ratings { get; init; }

    /// <summary>Satisfied / ratings × 100.</summary>
    public decimal? CsatPercent { get; init; }
}
