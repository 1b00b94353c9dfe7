using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Agents;

/// <summary>An agent's availability (the database enum <c>agent_status</c>). Only <see cref="Online"/> agents receive
/// tickets automatically; <see cref="Away"/> and <see cref="Offline"/> agents keep what they hold and may still claim.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<AgentStatus>))]
public enum AgentStatus
{
    /// <summary>Working: automatic queues assign to them (<c>online</c>).</summary>
    Online,

    /// <summary>Briefly away, by choice or after being idle (<c>away</c>).</summary>
    Away,

    /// <summary>Not working; the default of an agent who never set a status (<c>offline</c>).</summary>
    Offline,
}
