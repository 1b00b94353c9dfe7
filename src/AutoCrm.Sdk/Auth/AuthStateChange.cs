using System.Text.Json.Serialization;

namespace AutoCrm.Sdk.Auth;

/// <summary>One change of the client's authentication state, published on <see cref="AuthClient.StateChanges"/>.</summary>
public sealed record AuthStateChange
{
    /// <summary>What happened.</summary>
    public required AuthChangeEvent Event { get; init; }

    /// <summary>The session after the change; <see langword="null"/> when signed out.</summary>
    public Session? Session { get; init; }

    /// <summary>Why, when the change was caused by a failure (a rejected or failed refresh).</summary>
    [JsonIgnore]
    public CrmException? Error { get; init; }
}
