using AutoCrm.Sdk.Tickets;

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
}
