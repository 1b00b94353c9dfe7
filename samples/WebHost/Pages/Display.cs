using System.Globalization;
using AutoCrm.Sdk.Tickets;
using Microsoft.AspNetCore.Html;

namespace AutoCrm.WebHost.Pages;

/// <summary>How enum values read on the page and in form values.</summary>
internal static class Display
{
    public static readonly IReadOnlyList<TicketStatus> Statuses = Enum.GetValues<TicketStatus>();

    public static readonly IReadOnlyList<TicketPriority> Priorities = Enum.GetValues<TicketPriority>();

    public static readonly IReadOnlyList<TicketStatus> Active = [TicketStatus.New, TicketStatus.Open, TicketStatus.Pending, TicketStatus.OnHold];

    public static string Text(TicketStatus status) => status == TicketStatus.OnHold ? "on hold" : status.ToString().ToLowerInvariant();

    public static string Text(TicketPriority priority) => priority.ToString().ToLowerInvariant();

    public static string Name(IReadOnlyDictionary<Guid, string> names, Guid? id) =>
        id is { } value ? names.TryGetValue(value, out var name) ? name : "someone" : "nobody";

    /// <summary>A point in time for people. The server renders it in UTC; <c>wwwroot/time.js</c> shows the viewer's local
    /// date and time and the age ("2 h ago") in its place, keeping UTC as the tooltip.</summary>
    public static IHtmlContent Time(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        var iso = utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var text = utc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
        return new HtmlString($"<time datetime=\"{iso}\" title=\"{text}\" data-local-time>{text}</time>");
    }
}
