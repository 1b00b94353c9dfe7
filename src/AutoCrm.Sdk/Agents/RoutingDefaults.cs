namespace AutoCrm.Sdk.Agents;

/// <summary>The project's routing defaults (<c>public.routing_settings</c>).</summary>
public sealed record RoutingDefaults
{
    /// <summary>Open tickets per agent when neither the agent nor the queue sets a capacity; <see langword="null"/> is
    /// no limit.</summary>
    public int? DefaultCapacity { get; init; }

    /// <summary>When the defaults last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
