using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace AutoCrm.WebHost.Reports;

/// <summary>A report's period from the page's date inputs: local dates in a time zone, the end date included (so the
/// period is [start of <see cref="FromDate"/>, start of the day after <see cref="ToDate"/>)). NodaTime finds each day's
/// first instant, also on a day that starts in a DST gap.</summary>
public sealed record ReportRange(LocalDate FromDate, LocalDate ToDate, DateTimeZone Zone)
{
    private const int DefaultDays = 30;
    private const int MaxDays = 400;

    public DateTimeOffset From => FromDate.AtStartOfDayInZone(Zone).ToDateTimeOffset();

    public DateTimeOffset To => ToDate.PlusDays(1).AtStartOfDayInZone(Zone).ToDateTimeOffset();

    public string FromText => LocalDatePattern.Iso.Format(FromDate);

    public string ToText => LocalDatePattern.Iso.Format(ToDate);

    /// <summary>Reads the inputs; a missing or unreadable one falls back to the last 30 days up to today, and a problem is
    /// reported in <paramref name="problem"/> (the page shows it and the default period).</summary>
    public static ReportRange Parse(string? from, string? to, string? timeZone, IClock clock, out string? problem)
    {
        problem = null;
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(string.IsNullOrWhiteSpace(timeZone) ? "UTC" : timeZone.Trim());
        if (zone is null)
        {
            problem = $"'{timeZone}' is not a time zone name (such as Europe/Berlin); showing UTC.";
            zone = DateTimeZone.Utc;
        }

        var today = clock.GetCurrentInstant().InZone(zone).Date;
        var end = ParseDate(to) ?? today;
        var start = ParseDate(from) ?? end.PlusDays(-(DefaultDays - 1));
        if ((to is { Length: > 0 } && ParseDate(to) is null) || (from is { Length: > 0 } && ParseDate(from) is null))
        {
            problem = "Dates are written 2026-03-01.";
        }

        if (start > end || Period.Between(start, end, PeriodUnits.Days).Days >= MaxDays)
        {
            problem = $"The period must start on or before its end and cover at most {MaxDays} days; showing the last {DefaultDays} days.";
            end = today;
            start = today.PlusDays(-(DefaultDays - 1));
        }

        return new ReportRange(start, end, zone);
    }

    /// <summary>The local date a bucket starts on, as the chart's label.</summary>
    public string Label(DateTimeOffset bucketStart) =>
        Instant.FromDateTimeOffset(bucketStart).InZone(Zone).Date.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture);

    private static LocalDate? ParseDate(string? text) =>
        text is { Length: > 0 } && LocalDatePattern.Iso.Parse(text.Trim()) is { Success: true } parsed ? parsed.Value : null;
}
