using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AutoCrm.DevStack.Security;
using Npgsql;

namespace AutoCrm.DevStack.Auth;

/// <summary>Who is calling: GoTrue's bearer-token checks for the user and admin endpoints.</summary>
internal sealed partial class AuthService
{
    /// <summary>The caller of an authenticated endpoint: the user row, the session from the JWT, its role.</summary>
    private sealed record AuthPrincipal(AuthUser User, Guid? SessionId, string? Role);

    /// <summary>GoTrue's <c>requireAuthentication</c> + <c>maybeLoadUserOrSession</c>.</summary>
    private async Task<AuthPrincipal> AuthenticateAsync(HttpContext context, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var claims = ParseJwt(context);
        var sub = claims["sub"] is JsonValue subValue && subValue.GetValueKind() == JsonValueKind.String ? subValue.GetValue<string>() : null;
        if (string.IsNullOrEmpty(sub))
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, "invalid claim: missing sub claim");
        }

        if (!AuthValidation.TryParseUuid(sub, out var userId))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.BadJwt, "invalid claim: sub claim must be a UUID");
        }

        var user = await AuthStore.FindUserByIdAsync(connection, userId, cancellationToken) ?? throw UserFromSubMissing();
        if (user.IsBanned(Now))
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.UserBanned, "User is banned");
        }

        Guid? sessionId = null;
        var sessionClaim = claims["session_id"] is JsonValue sessionValue && sessionValue.GetValueKind() == JsonValueKind.String ? sessionValue.GetValue<string>() : null;
        if (!string.IsNullOrEmpty(sessionClaim) && sessionClaim != Guid.Empty.ToString())
        {
            if (!AuthValidation.TryParseUuid(sessionClaim, out var parsed))
            {
                throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, "invalid claim: session_id claim must be a UUID");
            }

            var session = await AuthStore.FindSessionAsync(connection, parsed, cancellationToken);
            if (session is null || session.UserId != user.Id)
            {
                throw AuthApiException.Forbidden(AuthErrorCodes.SessionNotFound, "Session from session_id claim in JWT does not exist");
            }

            sessionId = parsed;
        }

        return new AuthPrincipal(user, sessionId, StringClaim(claims, "role"));
    }

    private static AuthApiException UserFromSubMissing() =>
        AuthApiException.Forbidden(AuthErrorCodes.UserNotFound, "User from sub claim in JWT does not exist");

    /// <summary>GoTrue's <c>requireAdminCredentials</c>: a bearer JWT whose role is an admin role.</summary>
    private void RequireAdmin(HttpContext context)
    {
        var claims = ParseJwt(context);
        if (StringClaim(claims, "role") != AdminRole)
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.NotAdmin, "User not allowed");
        }
    }

    /// <summary>Extracts and verifies the bearer JWT (401 without one, 403 <c>bad_jwt</c> when it does not verify or has expired).</summary>
    private JsonObject ParseJwt(HttpContext context)
    {
        var match = BearerPattern().Match(context.Request.Headers.Authorization.ToString());
        if (!match.Success)
        {
            throw AuthApiException.Unauthorized(AuthErrorCodes.NoAuthorization, "This endpoint requires a valid Bearer token");
        }

        var result = jwt.Validate(match.Groups[1].Value);
        const string Prefix = "invalid JWT: unable to parse or verify signature, ";
        if (!result.IsValid)
        {
            var reason = result.Failure switch
            {
                JwtFailure.Expired => "token has invalid claims: token is expired",
                JwtFailure.NotYetValid => "token has invalid claims: token is not valid yet",
                JwtFailure.BadSignature => "token signature is invalid: signature is invalid",
                _ => "token is malformed: " + (result.Message ?? "could not parse the token"),
            };
            throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, Prefix + reason);
        }

        // GoTrue allows no clock skew on exp (PostgREST's 30 s leeway does not apply here).
        if (result.Exp is { } exp && exp <= timeProvider.GetUtcNow().ToUnixTimeSeconds())
        {
            throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, Prefix + "token has invalid claims: token is expired");
        }

        return result.Claims ?? throw AuthApiException.Forbidden(AuthErrorCodes.BadJwt, "invalid token: missing claims");
    }

    private static string? StringClaim(JsonObject claims, string name) =>
        claims[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static long ToUnix(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();

    private static string? UserAgent(HttpContext context)
    {
        var value = context.Request.Headers.UserAgent.ToString();
        return value.Length == 0 ? null : value;
    }

    private static IPAddress? ClientIp(HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        return ip is { IsIPv4MappedToIPv6: true } ? ip.MapToIPv4() : ip;
    }

    [GeneratedRegex(@"^(?:B|b)earer (\S+)\z", RegexOptions.CultureInvariant)]
    private static partial Regex BearerPattern();
}
