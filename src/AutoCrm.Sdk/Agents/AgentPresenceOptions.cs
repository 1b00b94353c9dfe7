namespace AutoCrm.Sdk.Agents;

/// <summary>Settings of an <see cref="AgentPresence"/>.</summary>
/// <example><code>await using var presence = await crm.Agents.StartPresenceAsync(new AgentPresenceOptions { IdleTimeout = TimeSpan.FromMinutes(10) });</code></example>
public sealed record AgentPresenceOptions
{
    /// <summary>How long without reported activity before the agent is marked <see cref="AgentStatus.Away"/>; from one
    /// second to one day. Default: 10 minutes.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);
}
