using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Agents;

/// <summary>How a queue hands out its work (the database enum <c>routing_mode</c>; see docs/routing.md).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<RoutingMode>))]
public enum RoutingMode
{
    /// <summary>Nothing is assigned automatically: agents claim or are assigned (<c>manual</c>, the default).</summary>
    Manual,

    /// <summary>The online member with room who has waited longest since their last assignment (<c>round_robin</c>).</summary>
    RoundRobin,

    /// <summary>The online member with the most spare capacity (<c>least_loaded</c>).</summary>
    LeastLoaded,
}
