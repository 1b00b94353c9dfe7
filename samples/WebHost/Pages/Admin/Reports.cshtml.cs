using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Reports;
using AutoCrm.WebHost.Reports;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using NodaTime;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>
/// The admin dashboard: a period's summary cards, tickets created and solved and CSAT per day (Chart.js, vendored in
/// wwwroot/lib/chartjs), the agent leaderboard, a date range and queue filter, and a CSV export of the daily numbers. Every
/// number comes from the database's report functions through the admin's own client.
/// </summary>
public sealed class AdminReportsModel(UserCrm user) : PageModel
{
    [FromQuery(Name = "from")]
    public string? FromInput { get; set; }

    [FromQuery(Name = "to")]
    public string? ToInput { get; set; }

    [FromQuery(Name = "tz")]
    public string? TimeZoneInput { get; set; }

    [FromQuery(Name = "queue")]
    public Guid? QueueId { get; set; }

    public ReportRange Range { get; private set; } = null!;

    public string? Problem { get; private set; }

    public IReadOnlyList<Queue> Queues { get; private set; } = [];

    public ReportSummary? Summary { get; private set; }

    public IReadOnlyList<AgentLeaderboardEntry> Leaderboard { get; private set; } = [];

    /// <summary>The chart's Chart.js configuration (data only; reports.js adds the rest).</summary>
    public string ChartData { get; private set; } = "{}";

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Range = ReportRange.Parse(FromInput, ToInput, TimeZoneInput, SystemClock.Instance, out var problem);
        Problem = problem;
        Queues = (await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken)).OrderBy(q => q.Name, StringComparer.OrdinalIgnoreCase).ToList();
        Summary = await crm.Reports.GetSummaryAsync(Range.From, Range.To, QueueId, cancellationToken: cancellationToken);
        Leaderboard = await crm.Reports.GetAgentLeaderboardAsync(Range.From, Range.To, QueueId, cancellationToken);
        var created = await SeriesAsync(crm, ReportMetric.TicketsCreated, cancellationToken);
        var solved = await SeriesAsync(crm, ReportMetric.TicketsSolved, cancellationToken);
        var csat = await SeriesAsync(crm, ReportMetric.CsatPercent, cancellationToken);
        ChartData = new JsonObject
        {
            ["labels"] = new JsonArray([.. created.Select(p => (JsonNode?)Range.Label(p.BucketStart))]),
            ["created"] = Values(created),
            ["solved"] = Values(solved),
            ["csat"] = Values(csat),
        }.ToJsonString();
    }

    /// <summary>The daily numbers of the period as CSV: date, created, solved, medians, CSAT.</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Range = ReportRange.Parse(FromInput, ToInput, TimeZoneInput, SystemClock.Instance, out _);
        ReportMetric[] metrics =
        [
            ReportMetric.TicketsCreated, ReportMetric.TicketsSolved, ReportMetric.FirstReplyMedian, ReportMetric.ResolutionMedian, ReportMetric.CsatPercent,
        ];
        var series = new List<IReadOnlyList<ReportPoint>>();
        foreach (var metric in metrics)
        {
            series.Add(await SeriesAsync(crm, metric, cancellationToken));
        }

        var csv = new StringBuilder();
        ReportCsv.AppendRecord(csv, ["date", "tickets_created", "tickets_solved", "first_reply_median_minutes", "resolution_median_minutes", "csat_percent"]);
        for (var i = 0; i < series[0].Count; i++)
        {
            ReportCsv.AppendRecord(csv, [Range.Label(series[0][i].BucketStart), .. series.Select(s => i < s.Count ? s[i].Value?.ToString(CultureInfo.InvariantCulture) : null)]);
        }

        return File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", $"autocrm-report-{Range.FromText}-{Range.ToText}.csv");
    }

    /// <summary>A figure for a card: the value with its unit, or a dash when the database says there is none.</summary>
    public static string Figure(decimal? value, string unit = "") =>
        value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) + unit : "–";

    private Task<IReadOnlyList<ReportPoint>> SeriesAsync(CrmClient crm, ReportMetric metric, CancellationToken cancellationToken) =>
        crm.Reports.GetTimeSeriesAsync(new ReportTimeSeriesQuery
        {
            Metric = metric, Bucket = ReportBucket.Day, From = Range.From, To = Range.To, TimeZone = Range.Zone.Id, QueueId = QueueId,
        }, cancellationToken);

    private static JsonArray Values(IEnumerable<ReportPoint> points) => new([.. points.Select(p => p.Value is { } v ? JsonValue.Create(v) : null)]);
}
