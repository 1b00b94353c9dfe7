using System.Text.Json;

namespace AutoCrm.Sdk.Internal;

/// <summary>Reads claims from a JWT payload without validating it (the server validates; the SDK only needs <c>sub</c>/<c>exp</c>).</summary>
internal static class JwtClaims
{
    public static Guid? TryGetSubject(string? token) =>
        TryReadString(token, "sub") is { } sub && Guid.TryParse(sub, out var id) ? id : null;

    /// <summary>The <c>role</c> claim (<c>anon</c>, <c>authenticated</c>, <c>service_role</c>), if the token is a JWT that has one.</summary>
    public static string? TryGetRole(string? token) => TryReadString(token, "role");

    public static long? TryGetExpiry(string? token)
    {
        var payload = TryDecodePayload(token);
        if (payload is null)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(payload);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("exp"u8))
                {
                    reader.Read();
                    return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var exp) ? exp : null;
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static string? TryReadString(string? token, string claim)
    {
        var payload = TryDecodePayload(token);
        if (payload is null)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(payload);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals(claim))
                {
                    reader.Read();
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static byte[]? TryDecodePayload(string? token)
    {
        if (token is null)
        {
            return null;
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (second < 0)
        {
            return null;
        }

        return Base64UrlText.TryDecode(token.AsSpan(first + 1, second - first - 1));
    }
}
