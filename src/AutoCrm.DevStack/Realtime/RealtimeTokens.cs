using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Realtime;

/// <summary>Why a Realtime token was refused.</summary>
internal enum RealtimeTokenError
{
    None,
    Missing,
    Malformed,
    BadSignature,
    Expired,
    MissingClaims,
}

/// <summary>A verified token: its claims, role and expiry (unix seconds).</summary>
internal sealed record RealtimeToken(string Raw, JsonObject Claims, string Role, long Exp)
{
    /// <summary>The claims serialized once; subscribers with equal claims share an RLS check.</summary>
    public string ClaimsJson { get; } = Claims.ToJsonString();
}

/// <summary>The outcome of verifying a token the way Realtime does (docs/protocols.md#connecting, docs/protocols.md#credentials-per-service).</summary>
internal readonly record struct RealtimeTokenCheck(RealtimeToken? Token, RealtimeTokenError Error, string Message)
{
    public bool IsValid => Token is not null;

    /// <summary>The phx_join error reason, e.g. <c>InvalidJWTToken: Token has expired 12 seconds ago</c>.</summary>
    public string JoinReason => Error switch
    {
        RealtimeTokenError.Malformed => "MalformedJWT: " + Message,
        RealtimeTokenError.BadSignature => "JwtSignatureError: " + Message,
        _ => "InvalidJWTToken: " + Message,
    };

    public static RealtimeTokenCheck Fail(RealtimeTokenError error, string message) => new(null, error, message);
}

/// <summary>Verifies the tokens a socket or channel presents.</summary>
internal interface IRealtimeTokenVerifier
{
    RealtimeTokenCheck Verify(string? token);
}

/// <summary>
/// HS256/384/512 verification with the project secret. Realtime needs the exact expiry (no clock skew) and its own
/// error texts, so the role/exp rules live here whatever validates the signature.
/// </summary>
internal sealed class HmacRealtimeTokenVerifier(string secret, TimeProvider timeProvider) : IRealtimeTokenVerifier
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(secret);

    public RealtimeTokenCheck Verify(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return RealtimeTokenCheck.Fail(RealtimeTokenError.Missing, "API key is missing");
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return Malformed();
        }

        JsonObject header, claims;
        byte[] signature;
        try
        {
            header = JsonNode.Parse(Base64UrlDecode(parts[0])) as JsonObject ?? throw new FormatException();
            claims = JsonNode.Parse(Base64UrlDecode(parts[1])) as JsonObject ?? throw new FormatException();
            signature = Base64UrlDecode(parts[2]);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return Malformed();
        }

        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        byte[]? expected = RealtimeJson.ReadString(header["alg"]) switch
        {
            "HS256" => HMACSHA256.HashData(_key, signed),
            "HS384" => HMACSHA384.HashData(_key, signed),
            "HS512" => HMACSHA512.HashData(_key, signed),
            _ => null,
        };
        if (expected is null || !CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            return RealtimeTokenCheck.Fail(RealtimeTokenError.BadSignature, "Failed to validate JWT signature");
        }

        return CheckClaims(token, claims, timeProvider);
    }

    /// <summary>The role/exp rules shared by every verifier.</summary>
    internal static RealtimeTokenCheck CheckClaims(string token, JsonObject claims, TimeProvider timeProvider)
    {
        var role = RealtimeJson.ReadString(claims["role"]);
        long? exp = claims["exp"] is JsonValue e && e.GetValueKind() == JsonValueKind.Number && e.TryGetValue(out double d) ? (long)d : null;
        if (string.IsNullOrEmpty(role) || exp is null)
        {
            return RealtimeTokenCheck.Fail(RealtimeTokenError.MissingClaims, "Fields `role` and `exp` are required in JWT");
        }

        var now = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        if (exp.Value <= now)
        {
            return RealtimeTokenCheck.Fail(
                RealtimeTokenError.Expired,
                string.Create(CultureInfo.InvariantCulture, $"Token has expired {now - exp.Value} seconds ago"));
        }

        return new RealtimeTokenCheck(new RealtimeToken(token, claims, role, exp.Value), RealtimeTokenError.None, "");
    }

    private static RealtimeTokenCheck Malformed() =>
        RealtimeTokenCheck.Fail(RealtimeTokenError.Malformed, "The token provided is not a valid JWT");

    private static byte[] Base64UrlDecode(string s)
    {
        var padded = s.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException() };
        return Convert.FromBase64String(padded);
    }
}
