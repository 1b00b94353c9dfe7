using System.Globalization;
using System.Text.Json;

namespace AutoCrm.Sdk.Internal;

/// <summary>Turns PostgREST and Auth error responses into the typed exceptions.</summary>
internal static class CrmErrors
{
    /// <summary>The code of <see cref="NotSignedIn"/>.</summary>
    public const string SessionMissingCode = "session_missing";

    /// <summary>Auth (and SDK) codes that mean "sign in again", whatever the status (GoTrue answers 400 for some).</summary>
    private static readonly HashSet<string> AuthCodes = new(StringComparer.Ordinal)
    {
        "invalid_credentials", "email_not_confirmed", "refresh_token_not_found", "refresh_token_already_used",
        "session_not_found", "session_expired", "user_banned", "bad_jwt", "no_authorization", "invalid_grant",
        SessionMissingCode,
    };

    /// <summary>Codes that mean "signed in, but not allowed", whatever the status.</summary>
    private static readonly HashSet<string> ForbiddenCodes = new(StringComparer.Ordinal)
    {
        "not_admin",
    };

    private static readonly HashSet<string> ConflictCodes = new(StringComparer.Ordinal)
    {
        "23505", "23503", "email_exists", "user_already_exists", "phone_exists", "identity_already_exists", "version_mismatch",
    };

    public static async Task<CrmException> FromResponseAsync(HttpResponseMessage response, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            text = "";
        }

        string? code = null, message = null, details = null, hint = null;
        if (text.Length > 0 && (text[0] == '{' || char.IsWhiteSpace(text[0])))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    var root = document.RootElement;
                    code = Text(root, "error_code") ?? (root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null);
                    message = Text(root, "msg") ?? Text(root, "message") ?? Text(root, "error_description") ?? Text(root, "error");
                    details = Text(root, "details");
                    hint = Text(root, "hint");
                    if (code is null && Text(root, "error") is { } oauthError && Text(root, "error_description") is not null)
                    {
                        code = oauthError;
                    }
                }
            }
            catch (JsonException)
            {
            }
        }

        if (code is null && response.Headers.TryGetValues("x-sb-error-code", out var sbCodes))
        {
            code = sbCodes.FirstOrDefault();
        }

        message ??= text.Length is > 0 and < 500 ? text : $"HTTP {status} {response.ReasonPhrase}";
        var info = new CrmErrorInfo
        {
            Status = status,
            Code = code,
            Message = message,
            Details = details,
            Hint = hint,
            RequestId = Header(response, "x-request-id") ?? Header(response, "sb-request-id") ?? Header(response, "cf-ray"),
            RetryAfter = ParseRetryAfter(response, timeProvider),
        };
        return Create(info);
    }

    /// <summary>Chooses the exception type from the status and code; see docs/sdk-conventions.md for the table.</summary>
    public static CrmException Create(CrmErrorInfo info)
    {
        var status = info.Status;
        var code = info.Code;
        if (status == 404 || IsZeroRowSingleRead(info))
        {
            return new CrmNotFoundException(status == 404 ? info : NotFound(info));
        }

        if (status == 409 || (code is not null && ConflictCodes.Contains(code)))
        {
            return new CrmConflictException(info);
        }

        if (status == 429)
        {
            return new CrmRateLimitedException(info);
        }

        if (code is not null && ForbiddenCodes.Contains(code))
        {
            return new CrmForbiddenException(info);
        }

        if (status == 401 || (code is not null && AuthCodes.Contains(code)))
        {
            return new CrmAuthException(info);
        }

        if (status == 403)
        {
            return new CrmForbiddenException(info);
        }

        if (status is 400 or 422)
        {
            return new CrmValidationException(ValidationErrors.Describe(info));
        }

        return new CrmException(info);
    }

    /// <summary>The error for a call that needs a signed-in user but has none (never signed in, or signed out).</summary>
    public static CrmAuthException NotSignedIn() =>
        new(new CrmErrorInfo { Status = 401, Code = SessionMissingCode, Message = "Not signed in: sign in first, or use a client bound to a session.", IsTransient = false });

    /// <summary>A value the SDK refuses before sending anything.</summary>
    public static CrmValidationException Invalid(string field, string message) =>
        new(new CrmErrorInfo { Status = 400, Code = "invalid_value", Field = field, Message = message, IsTransient = false });

    /// <summary>A row the caller looked for is missing or hidden; <paramref name="what"/> names it for the message.</summary>
    public static CrmNotFoundException NotFound(string what, CrmException? cause = null) =>
        new(new CrmErrorInfo
        {
            Status = 404,
            Code = "not_found",
            Message = what + " does not exist or is not visible to the caller.",
            Details = cause is null ? null : Original(cause.Status, cause.Code, cause.Message, cause.Details),
            RequestId = cause?.RequestId,
            IsTransient = false,
        });

    /// <summary>A response the SDK could not read (malformed JSON, an unexpected shape).</summary>
    public static CrmException InvalidResponse(string what, Exception cause) =>
        new(new CrmErrorInfo { Code = "invalid_response", Message = $"The server's answer to {what} could not be read: {cause.Message}", IsTransient = false }, cause);

    /// <summary>PostgREST answers a single-row read (<c>Accept: application/vnd.pgrst.object+json</c>) that matched no row
    /// with 406 <c>PGRST116</c>; for the caller that is a missing row.</summary>
    private static bool IsZeroRowSingleRead(CrmErrorInfo info) =>
        info is { Status: 406, Code: "PGRST116", Details: { } details } && details.Contains(" 0 rows", StringComparison.Ordinal);

    private static CrmErrorInfo NotFound(CrmErrorInfo info) => info with
    {
        Status = 404,
        Code = "not_found",
        Message = "No row matched, or row-level security hides it from the caller.",
        Details = Original(info.Status, info.Code, info.Message, info.Details),
        IsTransient = false,
    };

    internal static string Original(int status, string? code, string message, string? details) =>
        $"The server answered {Invariant(status)} {code}: {message}" + (details is null ? "" : " (" + details + ")");

    public static TimeSpan? ParseRetryAfter(HttpResponseMessage response, TimeProvider timeProvider)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - timeProvider.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            JsonValueKind.Number => value.GetRawText(),
            _ => value.GetRawText(),
        } : null;

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
