using System.Globalization;
using AutoCrm.DevStack.Security;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// Realtime's token rules on top of the DevStack's <see cref="JwtService"/>: the signature check is shared, but
/// Realtime requires <c>role</c> and <c>exp</c>, allows no clock skew, and has its own error texts (docs/protocols.md#connecting).
/// </summary>
internal sealed class JwtRealtimeTokenVerifier(JwtService jwt, TimeProvider timeProvider) : IRealtimeTokenVerifier
{
    public RealtimeTokenCheck Verify(string? token)
    {
        var result = jwt.Validate(token);
        return result.Failure switch
        {
            JwtFailure.None => HmacRealtimeTokenVerifier.CheckClaims(token!, result.Claims!, timeProvider),
            JwtFailure.Missing => RealtimeTokenCheck.Fail(RealtimeTokenError.Missing, "API key is missing"),
            JwtFailure.BadSignature => RealtimeTokenCheck.Fail(RealtimeTokenError.BadSignature, "Failed to validate JWT signature"),
            JwtFailure.Expired => RealtimeTokenCheck.Fail(
                RealtimeTokenError.Expired,
                string.Create(CultureInfo.InvariantCulture, $"Token has expired {timeProvider.GetUtcNow().ToUnixTimeSeconds() - result.Exp.GetValueOrDefault()} seconds ago")),
            JwtFailure.NotYetValid => RealtimeTokenCheck.Fail(RealtimeTokenError.Malformed, "The token is not valid yet (nbf)"),
            _ => RealtimeTokenCheck.Fail(RealtimeTokenError.Malformed, "The token provided is not a valid JWT"),
        };
    }
}
