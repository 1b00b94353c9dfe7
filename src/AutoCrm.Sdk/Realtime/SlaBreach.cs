namespace AutoCrm.Sdk.Realtime;

/// <summary>An SLA target of a ticket was missed (a <c>sla_breached</c> event, recorded once by <c>run_due_automations</c>),
/// from <see cref="RealtimeClient.SlaBreaches"/>.</summary>
public sealed record SlaBreach
{
    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary>The missed metric: <c>first_reply</c>, <c>next_reply</c> or <c>resolution</c>.</summary>
    public required string Metric { get; init; }

    /// <summary>When the target was due.</summary>
    public DateTimeOffset DueAt { get; init; }

    /// <summary>When the breach was recorded (the transaction's time; <see cref="Tickets.TicketSlaState.BreachedAt"/> holds the
    /// time <c>run_due_automations</c> was called with).</summary>
    public DateTimeOffset RecordedAt { get; init; }

    /// <summary>The <c>ticket_events</c> id: increasing, unique; the stream's order and de-duplication key.</summary>
    public long EventId { get; init; }
}
