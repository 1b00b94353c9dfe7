using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Auth;

/// <summary>A signed-in session: the access token (a JWT) and the refresh token that renews it.</summary>
public sealed record Session
{
    /// <summary>The access token (JWT) sent as <c>Authorization: Bearer</c>. Treat as a secret.</summary>
    public required string AccessToken { get; init; }

    /// <summary>The opaque refresh token. Treat as a secret.</summary>
    public required string RefreshToken { get; init; }

    /// <summary>Always <c>bearer</c>.</summary>
    public string TokenType { get; init; } = "bearer";

    /// <summary>The access token's lifetime in seconds when it was issued.</summary>
    public int ExpiresIn { get; init; }

    /// <summary>When the access token expires.</summary>
    [JsonConverter(typeof(UnixSecondsConverter))]
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The signed-in user, as of when the session was issued.</summary>
    public User? User { get; init; }

    /// <summary>Redacts the tokens.</summary>
    /// <returns>A description without secrets.</returns>
    public override string ToString() => $"Session {{ User = {User?.Id}, ExpiresAt = {ExpiresAt:O} }}";
}
