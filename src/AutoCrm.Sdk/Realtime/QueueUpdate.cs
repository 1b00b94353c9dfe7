namespace AutoCrm.Sdk.Realtime;

/// <summary>A ticket entered, left, was claimed or released in a queue (the seed's <c>queue:updates</c>), from <see cref="RealtimeClient.QueueUpdates"/>.</summary>
public sealed record QueueUpdate
{
    /// <summary>Entered, left, claimed or released.</summary>
    public required QueueUpdateKind Kind { get; init; }

    /// <summary>The queue.</summary>
    public required Guid QueueId { get; init; }

    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary>For <see cref="QueueUpdateKind.Claimed"/> the new assignee; for <see cref="QueueUpdateKind.Released"/> the previous one.</summary>
    public Guid? AgentId { get; init; }

    /// <summary>Who made the change (null for the service role).</summary>
    public Guid? ActorId { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The <c>ticket_events</c> id: increasing, unique; the stream's order and de-duplication key.</summary>
    public long EventId { get; init; }
}
