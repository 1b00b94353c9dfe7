using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Realtime;

/// <summary>A ticket's status changed (the seed's <c>tickets:status_change</c>), from <see cref="RealtimeClient.StatusChanges"/>.</summary>
public sealed record TicketStatusChanged
{
    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary>The status before the change.</summary>
    public required TicketStatus From { get; init; }

    /// <summary>The status after the change.</summary>
    public required TicketStatus To { get; init; }

    /// <summary>Who made the change (null for the service role or a deleted profile).</summary>
    public Guid? ActorId { get; init; }

    /// <summary>When the change happened.</summary>
    public DateTimeOffset ChangedAt { get; init; }

    /// <summary>The <c>ticket_events</c> id: increasing, unique; the stream's order and de-duplication key.</summary>
    public long EventId { get; init; }
}
