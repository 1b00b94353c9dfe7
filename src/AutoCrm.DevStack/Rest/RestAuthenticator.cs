using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AutoCrm.DevStack.Rest;

/// <summary>What a request's setup statement needs of its JWT claims, computed once per token.</summary>
internal sealed record RequestClaims(string Role, string Json, string Sub, string Email);

/// <summary>
/// The bearer token of a REST request to its role and claims, as PostgREST checks it. A token's signature is checked
/// once and its claims kept; its time claims are checked again on every use.
/// </summary>
internal sealed class RestAuthenticator(RestEnvironment environment)
{
    private const int MaxCachedTokens = 1024;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ValidatedToken> validatedTokens = new(StringComparer.Ordinal);

    private RequestClaims AnonClaims => anonClaims ??= new RequestClaims(
        environment.AnonRole, new JsonObject { ["role"] = environment.AnonRole }.ToJsonString(), "", "");

    private RequestClaims? anonClaims;

    public (string Role, RequestClaims Claims) Authenticate(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return (environment.AnonRole, AnonClaims);
        }

        var token = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization[7..].Trim()
            : authorization.Equals("Bearer", StringComparison.OrdinalIgnoreCase) ? "" : null;
        if (token is null)
        {
            // Not a bearer scheme: PostgREST ignores it and runs as anon.
            return (environment.AnonRole, AnonClaims);
        }

        // A token seen before skips the signature check and the claims parsing; its time claims are checked again
        // on every use, and a token that no longer passes them goes through the full validation (and its error).
        if (token.Length > 0 && validatedTokens.TryGetValue(token, out var cached) && cached.StillValid(environment.TimeProvider))
        {
            return (cached.Claims.Role, cached.Claims);
        }

        var result = token.Length == 0
            ? RestJwtResult.Invalid("PGRST301", "Empty JWT is sent in Authorization header")
            : SafeValidate(token);
        if (!result.IsValid || result.Claims is null)
        {
            var message = result.ErrorMessage ?? "JWT invalid";
            throw new RestException(401, result.ErrorCode ?? "PGRST301", message)
            {
                Headers = new Dictionary<string, string>
                {
                    ["WWW-Authenticate"] = $"Bearer error=\"invalid_token\", error_description=\"{message.Replace("\"", "'", StringComparison.Ordinal)}\"",
                },
            };
        }

        var claims = result.Claims;
        var role = claims["role"] is JsonValue v && v.TryGetValue<string>(out var r) && r.Length > 0 ? r : environment.AnonRole;
        claims["role"] = role;
        var requestClaims = new RequestClaims(role, claims.ToJsonString(), ClaimText(claims, "sub"), ClaimText(claims, "email"));
        if (TryTimeClaim(claims, "exp", out var exp) && TryTimeClaim(claims, "nbf", out var nbf))
        {
            if (validatedTokens.Count >= MaxCachedTokens)
            {
                validatedTokens.Clear();
            }

            validatedTokens[token] = new ValidatedToken(requestClaims, exp, nbf);
        }

        return (role, requestClaims);
    }

    /// <summary>A token whose signature and claims passed; exp/nbf as validated (whole seconds), for re-checking.</summary>
    private sealed record ValidatedToken(RequestClaims Claims, long? Exp, long? Nbf)
    {
        public bool StillValid(TimeProvider time)
        {
            var now = time.GetUtcNow().ToUnixTimeSeconds();
            var skew = (long)Security.JwtService.ClockSkew.TotalSeconds;
            return (Exp is not { } exp || now <= exp + skew) && (Nbf is not { } nbf || now >= nbf - skew);
        }
    }

    /// <summary>A time claim that is absent (null) or a whole number of seconds; any other form is not cached.</summary>
    private static bool TryTimeClaim(JsonObject claims, string name, out long? seconds)
    {
        seconds = null;
        if (!claims.TryGetPropertyValue(name, out var node) || node is null)
        {
            return true;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<JsonElement>(out var e) && e.TryGetInt64(out var s))
        {
            seconds = s;
            return true;
        }

        return false;
    }

    private RestJwtResult SafeValidate(string token)
    {
        try
        {
            return environment.ValidateJwt(token);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException or InvalidOperationException or DecoderFallbackException)
        {
            return RestJwtResult.Invalid("PGRST301", "JWT cryptographic operation failed");
        }
    }

    private static string ClaimText(JsonObject claims, string name) =>
        claims[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
