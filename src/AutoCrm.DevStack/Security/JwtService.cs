using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AutoCrm.DevStack.Security;

/// <summary>
/// Issues and validates the project's HS256 JWTs (API keys and user access tokens) the way PostgREST and GoTrue do:
/// signature with the project secret, HS256 only, <c>exp</c>/<c>nbf</c> with 30 s of clock skew, no audience or
/// issuer check.
/// </summary>
internal sealed class JwtService
{
    /// <summary>PostgREST's allowance for clock differences.</summary>
    internal static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly byte[] _key;
    private readonly SigningCredentials _credentials;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TimeProvider _timeProvider;

    public JwtService(string secret, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _key = Encoding.UTF8.GetBytes(secret);
        _credentials = new SigningCredentials(new SymmetricSecurityKey(_key), SecurityAlgorithms.HmacSha256);
        _timeProvider = timeProvider;
    }

    /// <summary>Signs <paramref name="claims"/> as the payload, exactly as given (no claims are added).</summary>
    public string Issue(IReadOnlyDictionary<string, object?> claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var payload = new JsonObject();
        foreach (var (name, value) in claims)
        {
            payload[name] = ToNode(value);
        }

        return _handler.CreateToken(payload.ToJsonString(), _credentials);
    }

    /// <summary>Checks <paramref name="token"/> (a bare JWT, without "Bearer ").</summary>
    public JwtValidationResult Validate(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return JwtValidationResult.Fail(JwtFailure.Missing, "No JWT given");
        }

        var firstDot = token.IndexOf('.', StringComparison.Ordinal);
        var lastDot = token.LastIndexOf('.');
        if (firstDot <= 0 || lastDot == firstDot || token.IndexOf('.', firstDot + 1) != lastDot)
        {
            return JwtValidationResult.Fail(JwtFailure.Malformed, "Expected 3 parts in JWT; got " + (token.Count(c => c == '.') + 1));
        }

        JsonWebToken parsed;
        try
        {
            parsed = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return JwtValidationResult.Fail(JwtFailure.Malformed, "JWT cryptographic operation failed");
        }

        if (!string.Equals(parsed.Alg, SecurityAlgorithms.HmacSha256, StringComparison.Ordinal))
        {
            return JwtValidationResult.Fail(JwtFailure.BadSignature, $"Wrong or unsupported encoding algorithm: {(string.IsNullOrEmpty(parsed.Alg) ? "none" : parsed.Alg)}");
        }

        var signed = Encoding.ASCII.GetBytes(token, 0, lastDot);
        var signatureText = token.AsSpan(lastDot + 1);
        var signature = new byte[Base64Url.GetMaxDecodedLength(signatureText.Length)];
        int signatureLength;
        try
        {
            if (!Base64Url.TryDecodeFromChars(signatureText, signature, out signatureLength))
            {
                return JwtValidationResult.Fail(JwtFailure.Malformed, "JWT cryptographic operation failed");
            }
        }
        catch (FormatException)
        {
            // Base64Url throws, rather than returning false, for characters outside the alphabet
            // and for non-zero trailing bits; a tampered signature must still be a clean 401/403.
            return JwtValidationResult.Fail(JwtFailure.Malformed, "JWT cryptographic operation failed");
        }

        var expected = HMACSHA256.HashData(_key, signed);
        if (!CryptographicOperations.FixedTimeEquals(expected, signature.AsSpan(0, signatureLength)))
        {
            return JwtValidationResult.Fail(JwtFailure.BadSignature, "JWSError JWSInvalidSignature");
        }

        JsonObject? claims;
        try
        {
            claims = JsonNode.Parse(Base64Url.DecodeFromChars(token.AsSpan(firstDot + 1, lastDot - firstDot - 1))) as JsonObject;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            claims = null;
        }

        if (claims is null)
        {
            return JwtValidationResult.Fail(JwtFailure.Malformed, "The JWT payload is not a JSON object");
        }

        var now = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        long? exp = null;
        if (claims.TryGetPropertyValue("exp", out var expNode) && expNode is not null)
        {
            if (!TryGetSeconds(expNode, out var e))
            {
                return JwtValidationResult.Fail(JwtFailure.Malformed, "The JWT 'exp' claim must be a number");
            }

            exp = e;
            if (now > e + (long)ClockSkew.TotalSeconds)
            {
                return JwtValidationResult.Fail(JwtFailure.Expired, "JWT expired") with { Exp = e };
            }
        }

        if (claims.TryGetPropertyValue("nbf", out var nbfNode) && nbfNode is not null)
        {
            if (!TryGetSeconds(nbfNode, out var nbf))
            {
                return JwtValidationResult.Fail(JwtFailure.Malformed, "The JWT 'nbf' claim must be a number");
            }

            if (now < nbf - (long)ClockSkew.TotalSeconds)
            {
                return JwtValidationResult.Fail(JwtFailure.NotYetValid, "JWT not yet valid");
            }
        }

        string? role = null;
        if (claims.TryGetPropertyValue("role", out var roleNode) && roleNode is not null)
        {
            if (roleNode.GetValueKind() != JsonValueKind.String)
            {
                return JwtValidationResult.Fail(JwtFailure.Malformed, "The JWT 'role' claim must be a string");
            }

            role = roleNode.GetValue<string>();
        }

        return new JwtValidationResult { Failure = JwtFailure.None, Claims = claims, Role = role, Exp = exp };
    }

    private static bool TryGetSeconds(JsonNode node, out long seconds)
    {
        seconds = 0;
        if (node.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        var value = node.GetValue<JsonElement>();
        if (value.TryGetInt64(out seconds))
        {
            return true;
        }

        if (value.TryGetDouble(out var d) && !double.IsNaN(d) && d is > long.MinValue and < long.MaxValue)
        {
            seconds = (long)Math.Floor(d);
            return true;
        }

        return false;
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        JsonElement element => JsonNode.Parse(element.GetRawText()),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        Guid g => JsonValue.Create(g.ToString()),
        DateTimeOffset t => JsonValue.Create(t.ToUnixTimeSeconds()),
        IReadOnlyDictionary<string, object?> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key, ToNode(kv.Value)))),
        IEnumerable<object?> list => new JsonArray(list.Select(ToNode).ToArray()),
        _ => throw new ArgumentException($"Unsupported claim value type {value.GetType()}; pass a JsonNode.", nameof(value)),
    };
}
