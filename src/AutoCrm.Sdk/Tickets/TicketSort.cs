namespace AutoCrm.Sdk.Tickets;

/// <summary>The order a ticket list comes in (ties broken by id, so paging is stable).</summary>
public enum TicketSort
{
    /// <summary>By creation time. Stable while tickets change: the safe choice for walking everything.</summary>
    Created,

    /// <summary>By last update. A ticket updated while you page may move past the cursor and be seen again or skipped.</summary>
    Updated,

    /// <summary>By priority (low to urgent; use descending for urgent first), then id.</summary>
    Priority,

    /// <summary>By the due time of the ticket's running SLA target (<see cref="Ticket.Sla"/>), soonest first (descending:
    /// latest first), then id. Lists only tickets with a running target, staff only (customers list none), from an index:
    /// the agent's "breaching soon" view. Not available to search.</summary>
    SlaDue,
}
