using System.ComponentModel;
using System.Globalization;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk.Reports;
using NodaTime;
using NodaTime.Text;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary>What every report reads: a period in a time zone, an optional queue and agent, and the output format.</summary>
internal class ReportPeriodSettings : ReadSettings
{
    [CommandOption("--from <DATE>")]
    [Description("Start of the period (inclusive): a date (the start of that day in --time-zone) or an instant with an offset (2026-03-01T08:00:00Z). Default: 30 days before --to.")]
    public string? From { get; init; }

    [CommandOption("--to <DATE>")]
    [Description("End of the period (exclusive): a date (the start of that day) or an instant. Default: the start of tomorrow, so today is included.")]
    public string? To { get; init; }

    [CommandOption("--time-zone <IANA>")]
    [Description("The time zone of dates and of the time series' days, weeks and months (e.g. Europe/Berlin). Default: UTC.")]
    public string TimeZone { get; init; } = "UTC";

    [CommandOption("--queue <QUEUE>")]
    [Description("Only this queue (slug or id). Agents may ask for their own queues only.")]
    public string? Queue { get; init; }

    [CommandOption("--agent <USER>")]
    [Description("Only this agent's facts (id, email or me).")]
    public string? Agent { get; init; }

    [CommandOption("--csv")]
    [Description("Print CSV (RFC 4180) instead of tables; cells that a spreadsheet would run as a formula are escaped.")]
    public bool Csv { get; init; }

    public override ValidationResult Validate() =>
        Json && Csv ? ValidationResult.Error("Choose one of --json and --csv.") : ValidationResult.Success();
}

/// <summary>A report's period as instants, from dates read in a time zone (NodaTime: a day that starts in a DST gap
/// starts at the first instant that exists).</summary>
internal sealed record ReportPeriod(DateTimeOffset From, DateTimeOffset To, DateTimeZone Zone)
{
    private const int DefaultDays = 30;

    internal static ReportPeriod Parse(ReportPeriodSettings s, IClock clock)
    {
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(s.TimeZone)
            ?? throw new UsageException($"--time-zone: '{s.TimeZone}' is not an IANA time zone name (such as Europe/Berlin or America/New_York)");
        var today = clock.GetCurrentInstant().InZone(zone).Date;
        var to = s.To is null ? today.PlusDays(1).AtStartOfDayInZone(zone).ToDateTimeOffset() : ParseBound(s.To, zone, "--to");
        var from = s.From is null
            ? LocalDateOf(to, zone).PlusDays(-DefaultDays).AtStartOfDayInZone(zone).ToDateTimeOffset()
            : ParseBound(s.From, zone, "--from");
        if (to <= from)
        {
            throw new UsageException($"--to ({to:u}) must be after --from ({from:u})");
        }

        return new ReportPeriod(from, to, zone);
    }

    private static LocalDate LocalDateOf(DateTimeOffset instant, DateTimeZone zone) => Instant.FromDateTimeOffset(instant).InZone(zone).Date;

    private static DateTimeOffset ParseBound(string text, DateTimeZone zone, string option)
    {
        var date = LocalDatePattern.Iso.Parse(text);
        if (date.Success)
        {
            return date.Value.AtStartOfDayInZone(zone).ToDateTimeOffset();
        }

        var instant = OffsetDateTimePattern.ExtendedIso.Parse(text);
        if (instant.Success)
        {
            return instant.Value.ToDateTimeOffset();
        }

        throw new UsageException($"{option}: '{text}' is not a date (2026-03-01) or an instant with an offset (2026-03-01T08:00:00Z)");
    }
}

/// <summary><c>autocrm report summary</c>: the period's numbers as a table and a bar chart of the counts.</summary>
internal sealed class ReportSummaryCommand(CliEnvironment environment) : CrmCommand<ReportPeriodSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReportPeriodSettings s, CancellationToken cancellationToken)
    {
        var period = ReportPeriod.Parse(s, SystemClock.Instance);
        var crm = target.Client;
        Guid? queueId = s.Queue is null ? null : (await Arguments.QueueAsync(crm, s.Queue, cancellationToken).ConfigureAwait(false)).Id;
        Guid? agentId = s.Agent is null ? null : await Arguments.UserIdAsync(crm, s.Agent, cancellationToken).ConfigureAwait(false);
        var summary = await crm.Reports.GetSummaryAsync(period.From, period.To, queueId, agentId, cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, summary);
            return ExitCodes.Success;
        }

        if (s.Csv)
        {
            ReportRendering.WriteSummaryCsv(Environment.Out, summary);
            return ExitCodes.Success;
        }

        Console.MarkupLineInterpolated($"[bold]Report[/] {period.From:yyyy-MM-dd HH:mm zzz} → {period.To:yyyy-MM-dd HH:mm zzz} ({period.Zone.Id}){(s.Queue is null ? "" : ", queue " + s.Queue)}{(s.Agent is null ? "" : ", agent " + s.Agent)}");
        Console.Write(ReportRendering.SummaryChart(summary));
        Console.Write(ReportRendering.SummaryTable(summary));
        return ExitCodes.Success;
    }
}

internal sealed class ReportTimeSeriesSettings : ReportPeriodSettings
{
    [CommandArgument(0, "<METRIC>")]
    [Description("tickets_created, tickets_solved, reopens, first_reply_median, first_reply_p90, first_reply_median_business, next_reply_median, resolution_median, resolution_p90, resolution_median_business or csat_percent.")]
    public string Metric { get; init; } = "";

    [CommandOption("--bucket <BUCKET>")]
    [Description("day (default), week (Monday to Sunday) or month, in --time-zone.")]
    public string Bucket { get; init; } = "day";

    [CommandOption("--group-by <GROUP>")]
    [Description("One series per queue, agent, priority or channel (metadata.channel).")]
    public string? GroupBy { get; init; }
}

/// <summary><c>autocrm report timeseries METRIC</c>: one bar per bucket (and group), with the numbers in a table.</summary>
internal sealed class ReportTimeSeriesCommand(CliEnvironment environment) : CrmCommand<ReportTimeSeriesSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReportTimeSeriesSettings s, CancellationToken cancellationToken)
    {
        var period = ReportPeriod.Parse(s, SystemClock.Instance);
        var bucket = Arguments.ParseEnum<ReportBucket>(s.Bucket, "--bucket");
        var groupBy = s.GroupBy is null ? ReportGrouping.None : Arguments.ParseEnum<ReportGrouping>(s.GroupBy, "--group-by");
        var crm = target.Client;
        Guid? queueId = s.Queue is null ? null : (await Arguments.QueueAsync(crm, s.Queue, cancellationToken).ConfigureAwait(false)).Id;
        Guid? agentId = s.Agent is null ? null : await Arguments.UserIdAsync(crm, s.Agent, cancellationToken).ConfigureAwait(false);
        var points = await crm.Reports.GetTimeSeriesAsync(new ReportTimeSeriesQuery
        {
            Metric = new ReportMetric(s.Metric.Trim()),
            Bucket = bucket,
            GroupBy = groupBy,
            From = period.From,
            To = period.To,
            TimeZone = period.Zone.Id,
            QueueId = queueId,
            AgentId = agentId,
        }, cancellationToken).ConfigureAwait(false);

        // The database gives instants; the rows carry the bucket's local date in the zone asked for as well.
        var rows = points.Select(p => new ReportRow(
            p.BucketStart,
            Instant.FromDateTimeOffset(p.BucketStart).InZone(period.Zone).Date.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture),
            p.GroupKey,
            p.Value,
            p.Samples)).ToList();
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, rows);
            return ExitCodes.Success;
        }

        if (s.Csv)
        {
            ReportRendering.WriteTimeSeriesCsv(Environment.Out, rows);
            return ExitCodes.Success;
        }

        var labels = groupBy == ReportGrouping.Queue ? await QueueSlugsAsync(target, cancellationToken).ConfigureAwait(false) : [];
        Console.MarkupLineInterpolated($"[bold]{s.Metric}[/] by {s.Bucket} ({period.Zone.Id}), {period.From:yyyy-MM-dd HH:mm zzz} → {period.To:yyyy-MM-dd HH:mm zzz}");
        Console.Write(ReportRendering.TimeSeriesChart(rows, labels));
        Console.Write(ReportRendering.TimeSeriesTable(rows, labels));
        return ExitCodes.Success;
    }

    private static async Task<Dictionary<string, string>> QueueSlugsAsync(CrmTarget target, CancellationToken cancellationToken) =>
        (await target.Client.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false))
            .ToDictionary(q => q.Id.ToString(), q => q.Slug);
}

/// <summary>One bucket of one group, as <c>--json</c> and <c>--csv</c> print it.</summary>
internal sealed record ReportRow(DateTimeOffset BucketStart, string LocalDate, string? GroupKey, decimal? Value, long Samples);
