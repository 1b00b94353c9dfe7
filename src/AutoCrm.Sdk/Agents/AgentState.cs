namespace AutoCrm.Sdk.Agents;

/// <summary>An agent's routing state (<c>public.agent_states</c>): availability, capacity override, skills and load.
/// Staff read every agent's state; customers read none.</summary>
public sealed record AgentState
{
    /// <summary>The agent (a profile id).</summary>
    public required Guid AgentId { get; init; }

    /// <summary>The availability.</summary>
    public AgentStatus Status { get; init; } = AgentStatus.Offline;

    /// <summary>When <see cref="Status"/> last changed.</summary>
    public DateTimeOffset StatusChangedAt { get; init; }

    /// <summary>The agent's own capacity (maximum open assigned tickets), which wins over the queue's and the default;
    /// <see langword="null"/> inherits them.</summary>
    public int? Capacity { get; init; }

    /// <summary>The agent's skills, sorted, without duplicates.</summary>
    public IReadOnlyList<string> Skills { get; init; } = [];

    /// <summary>The agent's open tickets (assigned to them, status new, open, pending or on hold), in every queue.</summary>
    public int OpenTickets { get; init; }

    /// <summary>When the agent last received a ticket (claim or automatic assignment), if ever.</summary>
    public DateTimeOffset? LastAssignedAt { get; init; }
}
