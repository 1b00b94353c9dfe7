using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Realtime;

/// <summary>A change to a ticket row, from <see cref="RealtimeClient.TicketChanges"/>.</summary>
public sealed record TicketChange
{
    /// <summary>Inserted, updated or deleted.</summary>
    public required TicketChangeKind Kind { get; init; }

    /// <summary>The ticket's id (always known, also for deletes).</summary>
    public required Guid TicketId { get; init; }

    /// <summary>The ticket after the change (inserts and updates); null for deletes.</summary>
    public Ticket? New { get; init; }

    /// <summary>The ticket before the change (updates; deletes when the server sends the whole old row). Row-level security
    /// limits a deleted row to its primary key, in which case this is null.</summary>
    public Ticket? Old { get; init; }

    /// <summary>When the change was committed (UTC).</summary>
    public DateTimeOffset CommitTimestamp { get; init; }
}
