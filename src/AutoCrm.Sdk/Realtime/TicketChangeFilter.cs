using System.Globalization;

namespace AutoCrm.Sdk.Realtime;

/// <summary>
/// Which ticket changes <see cref="RealtimeClient.TicketChanges"/> delivers: one server-side row filter (Realtime
/// <c>column=eq.value</c>) and the kinds of change. Row-level security applies on top: a user only ever sees tickets they may read.
/// </summary>
/// <example><code>crm.Realtime.TicketChanges(TicketChangeFilter.ForQueue(billingId) with { Kinds = [TicketChangeKind.Inserted] })</code></example>
public sealed record TicketChangeFilter
{
    /// <summary>Every ticket the user may read.</summary>
    public static TicketChangeFilter All { get; } = new();

    /// <summary>The server-side row filter (<c>column=eq.value</c>), or null for none.</summary>
    public string? RowFilter { get; init; }

    /// <summary>The kinds of change to deliver; empty means all.</summary>
    public IReadOnlyList<TicketChangeKind> Kinds { get; init; } = [];

    /// <summary>Changes to one ticket.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <returns>The filter.</returns>
    public static TicketChangeFilter ForTicket(Guid ticketId) => Eq("id", ticketId);

    /// <summary>Changes to tickets currently in a queue (a ticket moved out shows up as its last update in the queue).</summary>
    /// <param name="queueId">The queue.</param>
    /// <returns>The filter.</returns>
    public static TicketChangeFilter ForQueue(Guid queueId) => Eq("queue_id", queueId);

    /// <summary>Changes to tickets assigned to an agent.</summary>
    /// <param name="agentId">The agent.</param>
    /// <returns>The filter.</returns>
    public static TicketChangeFilter ForAssignee(Guid agentId) => Eq("assignee_id", agentId);

    /// <summary>Changes to tickets requested by a user.</summary>
    /// <param name="requesterId">The requester.</param>
    /// <returns>The filter.</returns>
    public static TicketChangeFilter ForRequester(Guid requesterId) => Eq("requester_id", requesterId);

    private static TicketChangeFilter Eq(string column, Guid value) =>
        new() { RowFilter = string.Create(CultureInfo.InvariantCulture, $"{column}=eq.{value}") };

    internal string ServerEvent => Kinds.Distinct().Count() switch
    {
        1 => Kinds[0] switch
        {
            TicketChangeKind.Inserted => "INSERT",
            TicketChangeKind.Updated => "UPDATE",
            _ => "DELETE",
        },
        _ => "*",
    };

    internal bool Accepts(TicketChangeKind kind) => Kinds.Count == 0 || Kinds.Contains(kind);
}
