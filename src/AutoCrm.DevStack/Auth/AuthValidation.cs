using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoCrm.DevStack.Auth;

/// <summary>Input rules GoTrue applies before touching the database.</summary>
internal static partial class AuthValidation
{
    /// <summary>Go durations are int64 nanoseconds.</summary>
    private const decimal MaxNanoseconds = 9_223_372_036_854_775_807m;

    /// <summary>GoTrue's <c>validateEmail</c>: required, at most 255 characters, checkmail's format; returns it lower-cased.</summary>
    internal static string Email(string email)
    {
        if (email.Length == 0)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "An email address is required");
        }

        if (email.Length > 255)
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "An email address is too long");
        }

        if (!EmailFormat().IsMatch(email))
        {
            throw AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Unable to validate email address: invalid format");
        }

        return email.ToLowerInvariant();
    }

    /// <summary>Parses a UUID the way Go's <c>uuid.FromString</c> does (canonical, braced, or 32 hex digits).</summary>
    internal static bool TryParseUuid(string? value, out Guid id)
    {
        id = Guid.Empty;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        if (value.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
        {
            value = value["urn:uuid:".Length..];
        }

        return Guid.TryParseExact(value, "D", out id) || Guid.TryParseExact(value, "N", out id) || Guid.TryParseExact(value, "B", out id);
    }

    /// <summary>
    /// Go's <c>time.ParseDuration</c> (e.g. <c>24h</c>, <c>1h30m</c>, <c>-1.5h</c>, <c>300ms</c>). Used for
    /// <c>ban_duration</c>. Returns null and an error text in Go's words when the value does not parse.
    /// </summary>
    internal static TimeSpan? ParseGoDuration(string value, out string? error)
    {
        error = $"time: invalid duration \"{value}\"";
        var s = value.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s.SequenceEqual("0"))
        {
            error = null;
            return TimeSpan.Zero;
        }

        if (s.IsEmpty)
        {
            return null;
        }

        decimal totalNanoseconds = 0;
        while (!s.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < s.Length && (char.IsAsciiDigit(s[numberLength]) || s[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || s[..numberLength].SequenceEqual(".")
                || !decimal.TryParse(s[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            s = s[numberLength..];
            var unitLength = 0;
            while (unitLength < s.Length && !char.IsAsciiDigit(s[unitLength]) && s[unitLength] != '.')
            {
                unitLength++;
            }

            decimal? scale = s[..unitLength] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => null,
            };
            if (scale is null)
            {
                error = unitLength == 0
                    ? $"time: missing unit in duration \"{value}\""
                    : $"time: unknown unit \"{s[..unitLength].ToString()}\" in duration \"{value}\"";
                return null;
            }

            if (number > MaxNanoseconds / scale.Value)
            {
                return null;
            }

            totalNanoseconds += number * scale.Value;
            if (totalNanoseconds > MaxNanoseconds)
            {
                return null;
            }

            s = s[unitLength..];
        }

        error = null;
        var ticks = (long)(totalNanoseconds / 100m);
        return TimeSpan.FromTicks(negative ? -ticks : ticks);
    }

    // checkmail's format rule (github.com/badoux/checkmail), which GoTrue uses.
    [GeneratedRegex(@"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex EmailFormat();
}
