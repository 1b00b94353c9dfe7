namespace AutoCrm.Sdk.Queues;

/// <summary>Counts for one queue (a row of the <c>queue_stats()</c> function).</summary>
public sealed record QueueStats
{
    /// <summary>The queue.</summary>
    public Guid QueueId { get; init; }

    /// <summary>Its slug.</summary>
    public string Slug { get; init; } = "";

    /// <summary>Its name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Tickets not yet solved or closed.</summary>
    public long OpenCount { get; init; }

    /// <summary>Unsolved tickets nobody is assigned to (waiting to be claimed).</summary>
    public long UnassignedCount { get; init; }

    /// <summary>Unsolved urgent tickets.</summary>
    public long UrgentCount { get; init; }

    /// <summary>When the oldest unassigned ticket was created, if any.</summary>
    public DateTimeOffset? OldestUnassignedAt { get; init; }
}
