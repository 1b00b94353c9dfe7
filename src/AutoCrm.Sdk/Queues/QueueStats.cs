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

    /// <summary>Tickets in status <c>new</c>.</summary>
    public long NewCount { get; init; }

    /// <summary>Tickets in status <c>open</c>.</summary>
    public long OpenCount { get; init; }

    /// <summary>Tickets in status <c>pending</c>.</summary>
    public long PendingCount { get; init; }

    /// <summary>Tickets in status <c>on_hold</c>.</summary>
    public long OnHoldCount { get; init; }

    /// <summary>Tickets in status <c>solved</c>.</summary>
    public long SolvedCount { get; init; }

    /// <summary>Tickets in status <c>closed</c>.</summary>
    public long ClosedCount { get; init; }

    /// <summary>Unsolved tickets nobody is assigned to (waiting to be claimed).</summary>
    public long UnassignedCount { get; init; }

    /// <summary>When the oldest unassigned ticket was created, if any.</summary>
    public DateTimeOffset? OldestUnassignedAt { get; init; }
}
