using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AutoCrm.DevStack.Rest;

/// <summary>Reads and checks the JSON body of a write or a call.</summary>
internal static class RequestBody
{
    /// <summary>The largest body a write or a call may send: Kestrel's default request limit, stated here so both agree.</summary>
    internal const long MaxBytes = 30_000_000;

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>How an RPC's POST body carries its arguments, by its Content-Type (JSON when absent).</summary>
    public static CallBody CallBodyOf(string? contentType)
    {
        var type = contentType is null ? "" : contentType.Split(';')[0].Trim();
        return type.ToLowerInvariant() switch
        {
            "text/plain" => CallBody.Text,
            "text/xml" => CallBody.Xml,
            "application/octet-stream" => CallBody.Binary,
            _ => CallBody.Json,
        };
    }

    /// <summary>The body as sent (a raw text, xml or bytea argument).</summary>
    public static async Task<byte[]> ReadRawAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = await ReadLimitedAsync(request, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>The whole body, refused with 413 past <see cref="MaxBytes"/> (declared or streamed).</summary>
    private static async Task<MemoryStream> ReadLimitedAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBytes)
        {
            throw TooLarge();
        }

        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    throw TooLarge();
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel refused the body itself (over its limit, broken chunking, a client too slow to send it).
            throw e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? TooLarge()
                : new RestException(400, "PGRST102", "Could not read the request body", e.Message);
        }

        return buffer;
    }

    /// <summary>UTF-8 text of a raw body; invalid UTF-8 is a 400, not a replacement character.</summary>
    public static string Utf8(byte[] raw)
    {
        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new RestException(400, "PGRST102", "Invalid body", e.Message);
        }
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = await ReadLimitedAsync(request, cancellationToken).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            throw RestException.InvalidBody("Empty or invalid json");
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 256 });
            Validate(document.RootElement);
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new RestException(400, "PGRST102", "Empty or invalid json", e.Message);
        }
    }

    /// <summary>
    /// PostgREST leaves body limits to the proxy in front of it; the DevStack answers in PostgREST's error shape
    /// with its own code (documented in docs/security.md), never as an internal error.
    /// </summary>
    internal static RestException TooLarge() =>
        new(413, "PGRST413", "Payload Too Large", $"The request body is larger than {MaxBytes} bytes.");

    /// <summary>Decodes every name and string once, so invalid UTF-8 or lone surrogates fail here as a 400.</summary>
    private static void Validate(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    Validate(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Validate(item);
                }

                break;
            case JsonValueKind.String:
                _ = element.GetString();
                break;
        }
    }

    public static void CheckPut(DbRelation relation, RestQuery query, JsonElement body)
    {
        var pk = relation.PrimaryKey;
        var filters = query.Root.Conditions.OfType<FilterCondition>().ToList();
        var ok = pk.Count > 0 && body.ValueKind == JsonValueKind.Object && filters.Count == query.Root.Conditions.Count
            && filters.Count == pk.Count
            && pk.All(k => filters.Any(f => f.Field.Name == k && f.Field.Path.Count == 0 && !f.Negated
                && f.Operation is SimpleOperation { Operator: "eq", Quantifier: Quantifier.None } eq
                && body.TryGetProperty(k, out var v) && JsonText(v) == eq.Value));
        if (!ok)
        {
            throw new RestException(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators");
        }
    }

    public static string JsonText(JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText();
}
