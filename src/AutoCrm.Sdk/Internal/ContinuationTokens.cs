using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AutoCrm.Sdk.Internal;

/// <summary>
/// Opaque continuation tokens: base64url JSON of a <see cref="PageCursor"/> that carries the listing's fingerprint, so a
/// token is only accepted by the listing that made it (same relation, filters and order; the page size may change).
/// </summary>
internal static class ContinuationTokens
{
    /// <summary>A short digest of what makes a listing: the relation, filters and order, never the page size.</summary>
    public static string Fingerprint(string listing)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(listing), hash);
        return Base64UrlText.Encode(hash[..9]);
    }

    public static string Encode(PageCursor cursor) =>
        Base64UrlText.Encode(JsonSerializer.SerializeToUtf8Bytes(cursor, CrmJsonContext.Default.PageCursor));

    /// <summary>Reads a token of the listing with <paramref name="fingerprint"/>.</summary>
    /// <exception cref="CrmValidationException">Garbage, or a token of another listing.</exception>
    public static PageCursor Decode(string token, string fingerprint)
    {
        PageCursor? cursor = null;
        try
        {
            if (Base64UrlText.TryDecode(token) is { } bytes)
            {
                cursor = JsonSerializer.Deserialize(bytes, CrmJsonContext.Default.PageCursor);
            }
        }
        catch (JsonException)
        {
        }

        if (cursor is null)
        {
            throw new CrmValidationException(new CrmErrorInfo
            {
                Status = 400,
                Code = "invalid_continuation_token",
                Field = "continuation_token",
                Message = "The continuation token is not one this listing produced.",
                IsTransient = false,
            });
        }

        return cursor.Listing == fingerprint ? cursor : throw Foreign();
    }

    public static CrmValidationException Foreign() => new(new CrmErrorInfo
    {
        Status = 400,
        Code = "invalid_continuation_token",
        Field = "continuation_token",
        Message = "The continuation token belongs to another listing (a different filter or order); start this listing without a token.",
        IsTransient = false,
    });
}

/// <summary>Where a listing continues: after the row with sort value <see cref="Value"/> and key <see cref="Key"/>.</summary>
/// <param name="Listing">The fingerprint of the listing that made the token.</param>
/// <param name="Value">The sort column's value of the last row (in PostgREST filter spelling), or null when the order is by key only.</param>
/// <param name="Key">The last row's unique key (id, or a page number for page-numbered listings).</param>
/// <param name="Total">The count taken when the listing started, if any.</param>
internal sealed record PageCursor(
    [property: System.Text.Json.Serialization.JsonPropertyName("l")] string Listing,
    [property: System.Text.Json.Serialization.JsonPropertyName("v")] string? Value,
    [property: System.Text.Json.Serialization.JsonPropertyName("k")] string Key,
    [property: System.Text.Json.Serialization.JsonPropertyName("n")] long? Total);
