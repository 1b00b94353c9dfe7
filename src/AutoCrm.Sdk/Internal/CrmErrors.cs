using System.Globalization;
using System.Text.Json;

namespace AutoCrm.Sdk.Internal;

/// <summary>Turns PostgREST and Auth error responses into the typed exceptions.</summary>
internal static class CrmErrors
{
    private static readonly HashSet<string> AuthCodes = new(StringComparer.Ordinal)
    {
        "invalid_credentials", "email_not_confirmed", "refresh_token_not_found", "refresh_token_already_used",
        "session_not_found", "session_expired", "user_banned", "bad_jwt", "no_authorization", "not_admin",
        "invalid_grant",
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

    public static CrmException Create(CrmErrorInfo info)
    {
        var status = info.Status;
        var code = info.Code;
        if (status == 404 || (status == 406 && code == "PGRST116" && info.Details is { } d && d.Contains(" 0 rows", StringComparison.Ordinal)))
        {
            return new CrmNotFoundException(info);
        }

        if (status == 409 || (code is not null && ConflictCodes.Contains(code)))
        {
            return new CrmConflictException(info);
        }

        if (status == 429)
        {
            return new CrmRateLimitedException(info);
        }

        if (status is 401 or 403 || (code is not null && AuthCodes.Contains(code)))
        {
            return new CrmAuthException(info);
        }

        return new CrmException(info);
    }

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
