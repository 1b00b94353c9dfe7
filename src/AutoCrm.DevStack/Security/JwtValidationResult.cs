using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Security;

/// <summary>Why a token was refused.</summary>
internal enum JwtFailure
{
    /// <summary>The token is valid.</summary>
    None,

    /// <summary>No token was given.</summary>
    Missing,

    /// <summary>Not three base64url parts with JSON header and payload, or a claim of the wrong type.</summary>
    Malformed,

    /// <summary>The signature does not verify with the secret, or the algorithm is not HS256 (including <c>none</c>).</summary>
    BadSignature,

    /// <summary><c>exp</c> lies more than the allowed clock skew in the past.</summary>
    Expired,

    /// <summary><c>nbf</c> lies more than the allowed clock skew in the future.</summary>
    NotYetValid,
}

/// <summary>The outcome of <see cref="JwtService.Validate"/>.</summary>
internal sealed record JwtValidationResult
{
    public bool IsValid => Failure == JwtFailure.None;

    public JwtFailure Failure { get; init; }

    /// <summary>A message for the failure (null when valid), in PostgREST's wording where it has one.</summary>
    public string? Message { get; init; }

    /// <summary>The raw payload of a valid token.</summary>
    public JsonObject? Claims { get; init; }

    /// <summary>The <c>role</c> claim, or null when the token has none (PostgREST then uses the anon role).</summary>
    public string? Role { get; init; }

    /// <summary>The <c>exp</c> claim (seconds since the epoch), when present.</summary>
    public long? Exp { get; init; }

    internal static JwtValidationResult Fail(JwtFailure failure, string message) => new() { Failure = failure, Message = message };
}
