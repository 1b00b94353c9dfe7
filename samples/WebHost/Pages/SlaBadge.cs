using System.Globalization;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.WebHost.Pages;

/// <summary>
/// What a ticket's SLA badge says and how it looks: red when a target was missed (and is not met yet), amber when less
/// than a quarter of the running target is left, plain otherwise; none without a running or missed target (and for
/// customers, who never read SLA state).
/// </summary>
public sealed record SlaBadge(string Text, string Level)
{
    /// <summary>The share of the target left below which the badge turns amber.</summary>
    public const double WarnShare = 0.25;

    public static SlaBadge? For(TicketSlaState? sla, DateTimeOffset now)
    {
        if (sla is null)
        {
            return null;
        }

        if (sla.BreachedMetric is { } missed)
        {
            return new SlaBadge($"{Metric(missed)} breached", "breached");
        }

        if (sla is not { Metric: { } metric, DueAt: { } due })
        {
            return null;
        }

        var left = due - now;
        var text = left <= TimeSpan.Zero ? $"{Metric(metric)} due now" : $"{Metric(metric)} due in {Duration(left)}";
        return new SlaBadge(text, sla.RemainingShare(now) < WarnShare ? "warn" : "ok");
    }

    public static string Metric(string metric) => metric switch
    {
        "first_reply" => "first reply",
        "next_reply" => "next reply",
        "resolution" => "resolution",
        _ => metric.Replace('_', ' '),
    };

    private static string Duration(TimeSpan left)
    {
        var minutes = (int)Math.Ceiling(left.TotalMinutes);
        return minutes < 60 ? string.Create(CultureInfo.InvariantCulture, $"{minutes} min")
            : minutes < 48 * 60 ? string.Create(CultureInfo.InvariantCulture, $"{minutes / 60} h {minutes % 60} min")
            : string.Create(CultureInfo.InvariantCulture, $"{minutes / (24 * 60)} d");
    }
}
