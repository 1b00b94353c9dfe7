namespace AutoCrm.Sdk.Queues;

/// <summary>An agent's membership of a queue (a row of <c>public.queue_members</c>).</summary>
public sealed record QueueMember
{
    /// <summary>The queue.</summary>
    public Guid QueueId { get; init; }

    /// <summary>The agent (a profile id).</summary>
    public Guid AgentId { get; init; }

    /// <summary>Since when.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
