using System.Text.Json.Nodes;
using AutoCrm.DevStack.Security;

namespace AutoCrm.DevStack.Auth;

/// <summary>Issues user access tokens with exactly the claims of docs/protocols.md#access-token-claims and builds session responses (docs/protocols.md#sessions-and-users).</summary>
internal sealed class AuthTokenIssuer(JwtService jwt, DevStackSettings settings, TimeProvider timeProvider)
{
    internal const string DefaultAudience = "authenticated";

    internal string Issuer => $"{settings.ApiUrl}".TrimEnd('/') + "/auth/v1";

    /// <summary>Signs an access token for the user and session; <c>exp = iat + jwt_expiry</c> on the injected clock.</summary>
    internal (string Token, long ExpiresAt) IssueAccessToken(AuthUser user, Guid sessionId, IReadOnlyList<(string Method, long Timestamp)> amr)
    {
        var issuedAt = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var expiresAt = issuedAt + settings.JwtExpirySeconds;
        var amrClaim = new JsonArray();
        foreach (var (method, timestamp) in amr)
        {
            amrClaim.Add(new JsonObject { ["method"] = method, ["timestamp"] = timestamp });
        }

        var claims = new Dictionary<string, object?>
        {
            ["iss"] = Issuer,
            ["sub"] = user.Id.ToString(),
            ["aud"] = string.IsNullOrEmpty(user.Aud) ? DefaultAudience : user.Aud,
            ["exp"] = expiresAt,
            ["iat"] = issuedAt,
            ["email"] = user.Email ?? string.Empty,
            ["phone"] = user.Phone ?? string.Empty,
            ["app_metadata"] = user.AppMetadata.DeepClone(),
            ["user_metadata"] = user.UserMetadata.DeepClone(),
            ["role"] = string.IsNullOrEmpty(user.Role) ? DefaultAudience : user.Role,
            ["aal"] = "aal1",
            ["amr"] = amrClaim,
            ["session_id"] = sessionId.ToString(),
            ["is_anonymous"] = user.IsAnonymous,
        };
        return (jwt.Issue(claims), expiresAt);
    }

    /// <summary>The <c>AccessTokenResponse</c> body.</summary>
    internal JsonObject SessionResponse(string accessToken, long expiresAt, string refreshToken, AuthUser user, JsonObject? weakPassword = null) => new()
    {
        ["access_token"] = accessToken,
        ["token_type"] = "bearer",
        ["expires_in"] = settings.JwtExpirySeconds,
        ["expires_at"] = expiresAt,
        ["refresh_token"] = refreshToken,
        ["user"] = user.ToJson(),
        ["weak_password"] = weakPassword,
    };
}
