using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AutoCrm.Sdk.Sla;
using AutoCrm.WebHost.Automation;

namespace AutoCrm.WebHost.Sla;

/// <summary>A form value the page could not read (before anything reaches the database).</summary>
public sealed class SlaFormException(string message) : Exception(message);

/// <summary>
/// The SLA admin forms as text: opening hours as one <c>monday 09:00-17:00</c> per line, holidays as dates, targets as a
/// grid of minutes per priority and metric. Only the shape is read here; the database checks the values (zone names,
/// overlaps, ranges) and its message is shown beside the form.
/// </summary>
public static partial class SlaForm
{
    /// <summary>The priorities a policy has targets for, most urgent first.</summary>
    public static readonly IReadOnlyList<string> Priorities = ["urgent", "high", "normal", "low"];

    /// <summary>The metrics a target counts.</summary>
    public static readonly IReadOnlyList<string> Metrics = ["first_reply", "next_reply", "resolution"];

    /// <summary>More lines than a calendar can hold (70 intervals) are refused here rather than sent.</summary>
    private const int MaxLines = 200;

    /// <summary>More dates than a calendar can hold (1,000) are refused here rather than sent.</summary>
    private const int MaxDates = 2000;

    /// <summary>Reads the opening hours, one interval per line (blank lines ignored).</summary>
    public static IReadOnlyList<BusinessInterval> Intervals(string text)
    {
        var lines = Lines(text);
        if (lines.Count > MaxLines)
        {
            throw new SlaFormException($"Opening hours: {lines.Count} lines; a calendar has at most 70 intervals.");
        }

        var intervals = new List<BusinessInterval>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var m = IntervalPattern().Match(lines[i]);
            if (!m.Success || !Enum.TryParse<BusinessDay>(m.Groups["day"].Value, ignoreCase: true, out var day))
            {
                throw new SlaFormException($"Opening hours, line {i + 1}: \"{lines[i]}\" is not \"DAY HH:MM-HH:MM\" (such as monday 09:00-17:00).");
            }

            intervals.Add(new BusinessInterval { Day = day, Start = Clock(m.Groups["start"].Value), End = Clock(m.Groups["end"].Value) });
        }

        return intervals;
    }

    /// <summary>The opening hours as the form shows them.</summary>
    public static string IntervalsText(IReadOnlyList<BusinessInterval> intervals) =>
        string.Join('\n', intervals.Select(i => $"{AutomationVocabulary.Spell(i.Day)} {i.Start}-{i.End}"));

    /// <summary>Reads the holidays: dates (YYYY-MM-DD) separated by line breaks, commas or spaces.</summary>
    public static IReadOnlyList<DateOnly> Holidays(string text)
    {
        var tokens = text.Split([',', ' ', '\t', '\r', '\n', ';'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length > MaxDates)
        {
            throw new SlaFormException($"Holidays: {tokens.Length} dates; a calendar has at most 1,000.");
        }

        var dates = new List<DateOnly>(tokens.Length);
        foreach (var token in tokens)
        {
            if (!DateOnly.TryParseExact(token, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw new SlaFormException($"Holidays: \"{token}\" is not a date (YYYY-MM-DD, such as 2026-12-25).");
            }

            dates.Add(date);
        }

        return dates;
    }

    /// <summary>The holidays as the form shows them.</summary>
    public static string HolidaysText(IReadOnlyList<DateOnly> holidays) =>
        string.Join('\n', holidays.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));

    /// <summary>The name of a target's input.</summary>
    public static string TargetInput(string priority, string metric) => $"target_{priority}_{metric}";

    /// <summary>Reads the target grid: an empty cell is no target; a priority without any is left out.</summary>
    public static IReadOnlyDictionary<string, SlaTargets> Targets(Func<string, string> posted)
    {
        var targets = new Dictionary<string, SlaTargets>(StringComparer.Ordinal);
        foreach (var priority in Priorities)
        {
            var cells = Metrics.ToDictionary(m => m, m => Minutes(posted(TargetInput(priority, m)), priority, m), StringComparer.Ordinal);
            if (cells.Values.Any(v => v is not null))
            {
                targets[priority] = new SlaTargets { FirstReply = cells["first_reply"], NextReply = cells["next_reply"], Resolution = cells["resolution"] };
            }
        }

        return targets;
    }

    /// <summary>A target's cell as the form shows it.</summary>
    public static string TargetCell(IReadOnlyDictionary<string, SlaTargets> targets, string priority, string metric) =>
        targets.TryGetValue(priority, out var t) && Pick(t, metric) is { } minutes ? minutes.ToString(CultureInfo.InvariantCulture) : "";

    /// <summary>The targets in a line: <c>urgent: first reply 30 min, resolution 4 h; normal: …</c>.</summary>
    public static string TargetsText(IReadOnlyDictionary<string, SlaTargets> targets)
    {
        var parts = new List<string>();
        foreach (var priority in Priorities.Where(targets.ContainsKey))
        {
            var metrics = Metrics.Where(m => Pick(targets[priority], m) is not null)
                .Select(m => $"{m.Replace('_', ' ')} {Duration(Pick(targets[priority], m)!.Value)}");
            parts.Add($"{priority}: {string.Join(", ", metrics)}");
        }

        return parts.Count == 0 ? "no targets" : string.Join("; ", parts);
    }

    /// <summary>Minutes as people read them: <c>45 min</c>, <c>4 h</c>, <c>1 d 2 h</c>.</summary>
    public static string Duration(int minutes)
    {
        var text = new StringBuilder();
        var (days, hours, rest) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
        if (days > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{days} d ");
        }

        if (hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{hours} h ");
        }

        if (rest > 0 || minutes == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{rest} min");
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>What to show beside the form for a failure, or <see langword="null"/> for one that is not the user's to fix.</summary>
    public static string? Problem(Exception exception) =>
        exception is SlaFormException e ? e.Message : AutomationForm.Problem(exception);

    private static int? Pick(SlaTargets targets, string metric) => metric switch
    {
        "first_reply" => targets.FirstReply,
        "next_reply" => targets.NextReply,
        _ => targets.Resolution,
    };

    private static int? Minutes(string text, string priority, string metric)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var minutes)
            ? minutes
            : throw new SlaFormException($"Targets, {priority} {metric.Replace('_', ' ')}: \"{text}\" is not a whole number of minutes.");
    }

    private static string Clock(string text) => text.Length == 4 ? "0" + text : text;

    private static List<string> Lines(string text) =>
        [.. text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];

    [GeneratedRegex(@"^(?<day>[A-Za-z]+)\s+(?<start>\d{1,2}:\d{2})\s*[-–]\s*(?<end>\d{1,2}:\d{2})$")]
    private static partial Regex IntervalPattern();
}
