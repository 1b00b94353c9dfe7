namespace AutoCrm.Sdk.Agents;

/// <summary>A queue's routing settings (<c>public.queue_routing</c>). A queue without settings is
/// <see cref="RoutingMode.Manual"/> with no capacity of its own.</summary>
public sealed record QueueRouting
{
    /// <summary>The queue.</summary>
    public required Guid QueueId { get; init; }

    /// <summary>How the queue hands out its work.</summary>
    public RoutingMode Mode { get; init; } = RoutingMode.Manual;

    /// <summary>The capacity of agents for this queue's tickets when the agent has none of their own;
    /// <see langword="null"/> inherits the default (<see cref="RoutingDefaults.DefaultCapacity"/>).</summary>
    public int? Capacity { get; init; }

    /// <summary>When the settings last changed (<see langword="null"/> for a queue that never had any).</summary>
    public DateTimeOffset? UpdatedAt { get; init; }
}
