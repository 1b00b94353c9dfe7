using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Auth;

/// <summary>
/// A JSON request body read the way GoTrue's <c>retrieveRequestParams</c> reads it into a Go struct:
/// unknown fields are ignored, <c>null</c> leaves a field at its zero value, a value of the wrong JSON
/// type is a <c>bad_json</c> error, and so is an empty or malformed body.
/// </summary>
internal sealed class AuthRequestBody
{
    /// <summary>GoTrue's body limit (docs/protocols.md#auth-conventions).</summary>
    internal const int MaxBodyBytes = 1024 * 1024;

    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 64 };

    private readonly JsonObject _fields;
    private readonly string _structName;

    private AuthRequestBody(JsonObject fields, string structName)
    {
        _fields = fields;
        _structName = structName;
    }

    /// <summary>An empty body (for endpoints whose body is optional and absent).</summary>
    internal static AuthRequestBody Empty(string structName) => new([], structName);

    /// <summary>Reads and parses the request body. <paramref name="structName"/> names the Go params struct in error messages.</summary>
    internal static async Task<AuthRequestBody> ReadAsync(HttpRequest request, string structName, bool allowEmpty, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(request, cancellationToken);
        if (IsBlank(bytes))
        {
            if (allowEmpty)
            {
                return Empty(structName);
            }

            throw AuthApiException.BadJson("unexpected end of JSON input");
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(bytes, nodeOptions: null, documentOptions: s_documentOptions);
            Materialize(root);
        }
        catch (JsonException ex)
        {
            throw AuthApiException.BadJson(Describe(ex));
        }
        catch (InvalidOperationException)
        {
            throw AuthApiException.BadJson("invalid UTF-8 in string literal");
        }
        catch (ArgumentException)
        {
            // JsonObject refuses duplicate property names when it is first enumerated.
            throw AuthApiException.BadJson("duplicate property name in JSON object");
        }

        return root switch
        {
            null => Empty(structName),
            JsonObject obj => new AuthRequestBody(obj, structName),
            _ => throw AuthApiException.BadJson($"json: cannot unmarshal {GoKind(root)} into Go value of type api.{structName}"),
        };
    }

    private static async Task<byte[]> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is > MaxBodyBytes)
        {
            throw TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw TooLarge();
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static AuthApiException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, AuthErrorCodes.ValidationFailed, "Request body too large");

    private static bool IsBlank(byte[] bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    /// <summary>Forces every object to build its dictionary now, so duplicate keys fail inside the parse.</summary>
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var pair in obj)
                {
                    Materialize(pair.Value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Materialize(item);
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                // Invalid UTF-8 inside a string only shows when the string is decoded.
                _ = value.GetValue<string>();
                break;
        }
    }

    internal static string GoKind(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "null",
    };

    private AuthApiException TypeError(JsonNode node, string field, string goType) =>
        AuthApiException.BadJson($"json: cannot unmarshal {GoKind(node)} into Go struct field {_structName}.{field} of type {goType}");

    /// <summary>True when the field is present and not <c>null</c>.</summary>
    internal bool Has(string field) => _fields[field] is not null;

    /// <summary>A Go <c>string</c> field: "" when absent or null.</summary>
    internal string GetString(string field) => GetOptionalString(field) ?? string.Empty;

    /// <summary>A Go <c>*string</c> field: null when absent or null.</summary>
    internal string? GetOptionalString(string field)
    {
        var node = _fields[field];
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            throw TypeError(node, field, "string");
        }

        return node.GetValue<string>();
    }

    /// <summary>A Go <c>bool</c> field: false when absent or null.</summary>
    internal bool GetBool(string field)
    {
        var node = _fields[field];
        if (node is null)
        {
            return false;
        }

        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw TypeError(node, field, "bool"),
        };
    }

    /// <summary>A Go <c>map[string]interface{}</c> field: null when absent or null; a deep copy otherwise.</summary>
    internal JsonObject? GetObject(string field)
    {
        var node = _fields[field];
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject obj)
        {
            throw TypeError(node, field, "map[string]interface {}");
        }

        return (JsonObject)obj.DeepClone();
    }
}
