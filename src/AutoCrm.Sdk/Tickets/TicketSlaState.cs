namespace AutoCrm.Sdk.Tickets;

/// <summary>
/// A ticket's SLA state at a glance (a row of <c>public.ticket_sla_states</c>, derived by the database from the ticket's
/// clocks in the transaction of every change): the running target due first, and the earliest missed target that is not
/// met yet. Staff only: customers, and tickets without a running or missed target, have none
/// (<see cref="Ticket.Sla"/> is <see langword="null"/>).
/// </summary>
/// <example><code>if (ticket.Sla is { DueAt: { } due } sla) Console.WriteLine($"{sla.Metric} due {due:t}{(sla.IsBreached ? ", breached" : "")}");</code></example>
public sealed record TicketSlaState
{
    /// <summary>The metric of the running clock due first (<c>first_reply</c>, <c>next_reply</c> or <c>resolution</c>);
    /// <see langword="null"/> when no clock runs (the ticket is pending, on hold, solved or closed, or every target is met or
    /// missed).</summary>
    public string? Metric { get; init; }

    /// <summary>When that target is due.</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>That clock's target, in minutes of its calendar (business or calendar time).</summary>
    public int? TargetMinutes { get; init; }

    /// <summary>The metric of the earliest missed target that is not met yet; <see langword="null"/> when none is.</summary>
    public string? BreachedMetric { get; init; }

    /// <summary>When that target was found missed (the time <c>run_due_automations</c> ran with).</summary>
    public DateTimeOffset? BreachedAt { get; init; }

    /// <summary>Whether a target was missed and is still not met.</summary>
    public bool IsBreached => BreachedAt is not null;

    /// <summary>
    /// The share of the running target left at <paramref name="now"/> (1 at the start, 0 when due, negative after), counted
    /// as the calendar time to <see cref="DueAt"/> against <see cref="TargetMinutes"/>: exact for calendar-time policies and,
    /// for business hours, whenever no closed time lies between now and the due time; <see langword="null"/> when no clock
    /// runs.
    /// </summary>
    /// <param name="now">The current time (pass your <see cref="TimeProvider"/>'s).</param>
    /// <returns>The share left, or <see langword="null"/>.</returns>
    public double? RemainingShare(DateTimeOffset now) =>
        DueAt is { } due && TargetMinutes is > 0 and { } target ? (due - now).TotalMinutes / target : null;
}
