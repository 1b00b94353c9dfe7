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

    /// <summary>
    /// The open tickets of the agents this change moved (the new assignee of a claim, the previous one of a release, both
    /// of a reassignment, the assignee of a solved or reopened ticket), after the change. Empty for entered and left, and
    /// for callers who may not see agent loads (customers).
    /// </summary>
    public IReadOnlyList<AgentLoad> AgentLoads { get; init; } = [];
}

/// <summary>An agent's load after a change: open tickets (new, open, pending, on hold) and the capacity that applies in the queue.</summary>
public sealed record AgentLoad
{
    /// <summary>The agent.</summary>
    public required Guid AgentId { get; init; }

    /// <summary>Tickets assigned to the agent whose status is new, open, pending or on hold, in every queue.</summary>
    public required int OpenTickets { get; init; }

    /// <summary>The most open tickets the agent may be given from this queue; null when there is no limit.</summary>
    public int? Capacity { get; init; }
}
