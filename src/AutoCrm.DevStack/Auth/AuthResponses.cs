using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Auth;

/// <summary>Writes GoTrue-shaped JSON bodies and errors (docs/protocols.md#auth-conventions).</summary>
internal static class AuthResponses
{
    internal const string ApiVersionHeader = "X-Supabase-Api-Version";
    internal const string ErrorCodeHeader = "x-sb-error-code";
    internal const string ApiVersion20240101 = "2024-01-01";

    /// <summary>
    /// True when the request asked for the 2024-01-01 error format. Like GoTrue, a date that does
    /// not parse falls back to the initial (legacy) format; any date on or after 2024-01-01 selects the new one.
    /// </summary>
    internal static bool UsesApiVersion20240101(HttpRequest request)
    {
        var value = request.Headers[ApiVersionHeader].ToString().Trim();
        if (value.Length == 0)
        {
            return false;
        }

        return DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            && date >= new DateOnly(2024, 1, 1);
    }

    internal static Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body.WriteTo(writer);
        }

        context.Response.ContentLength = buffer.WrittenCount;
        return context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).AsTask();
    }

    internal static Task WriteErrorAsync(HttpContext context, AuthApiException error)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        response.Clear();
        if (error.OAuthError is not null)
        {
            var oauth = new JsonObject { ["error"] = error.OAuthError, ["error_description"] = error.Message };
            return WriteJsonAsync(context, StatusCodes.Status400BadRequest, oauth);
        }

        var modern = UsesApiVersion20240101(context.Request);
        if (modern)
        {
            response.Headers[ApiVersionHeader] = ApiVersion20240101;
        }

        response.Headers[ErrorCodeHeader] = error.ErrorCode;
        JsonObject body = modern
            ? new JsonObject { ["code"] = error.ErrorCode, ["message"] = error.Message }
            : new JsonObject { ["code"] = error.Status, ["error_code"] = error.ErrorCode, ["msg"] = error.Message };
        if (error.WeakPasswordReasons is { } reasons)
        {
            var array = new JsonArray();
            foreach (var reason in reasons)
            {
                array.Add(reason);
            }

            body["weak_password"] = new JsonObject { ["reasons"] = array };
        }

        if (!modern && error.Status >= StatusCodes.Status500InternalServerError)
        {
            body["error_id"] = context.TraceIdentifier;
        }

        return WriteJsonAsync(context, error.Status, body);
    }

    /// <summary>Formats a timestamp as Go's RFC 3339 (nanosecond, trailing zeros trimmed) in UTC.</summary>
    internal static string FormatTime(DateTime value) =>
        DateTime.SpecifyKind(value.ToUniversalTime(), DateTimeKind.Utc)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
