using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>
/// Signs and verifies webhook requests. Each request carries
/// <c>AutoCrm-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;raw body&gt;"&gt;</c>, keyed with the
/// UTF-8 bytes of the endpoint's whole secret (<c>whsec_…</c>); during a secret rotation it carries one <c>v1</c> per live
/// secret. Verify the raw body exactly as received, before parsing it.
/// </summary>
/// <example>
/// <code>
/// WebhookSignature.Verify(body, request.Headers["AutoCrm-Signature"], secret, WebhookSignature.DefaultTolerance);
/// var evt = WebhookEvent.Parse(body);
/// </code>
/// </example>
public static class WebhookSignature
{
    /// <summary>The signature header, <c>AutoCrm-Signature</c>.</summary>
    public const string SignatureHeader = "AutoCrm-Signature";

    /// <summary>The event type header, <c>AutoCrm-Event</c>.</summary>
    public const string EventHeader = "AutoCrm-Event";

    /// <summary>The delivery id header, <c>AutoCrm-Delivery</c> (the same on every retry).</summary>
    public const string DeliveryHeader = "AutoCrm-Delivery";

    /// <summary>Five minutes: how far the signature's timestamp may be from the receiver's clock by default.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private const int MaxHeaderLength = 4096;
    private const int MaxSignatures = 16;

    /// <summary>Verifies a request against one secret, with the system clock.</summary>
    /// <param name="body">The raw body, exactly as received.</param>
    /// <param name="header">The <c>AutoCrm-Signature</c> header (null when missing).</param>
    /// <param name="secret">The endpoint's secret.</param>
    /// <param name="tolerance">How far the timestamp may be from now, either way (e.g. <see cref="DefaultTolerance"/>).</param>
    /// <exception cref="CrmWebhookSignatureException">The request is not authentic (see its <see cref="CrmException.Code"/>).</exception>
    public static void Verify(string body, string? header, string secret, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(secret);
        Verify(Encoding.UTF8.GetBytes(body), header, [secret], tolerance, DateTimeOffset.UtcNow);
    }

    /// <summary>Verifies a request against one secret, with the system clock.</summary>
    /// <param name="utf8Body">The raw body bytes, exactly as received.</param>
    /// <param name="header">The <c>AutoCrm-Signature</c> header (null when missing).</param>
    /// <param name="secret">The endpoint's secret.</param>
    /// <param name="tolerance">How far the timestamp may be from now, either way.</param>
    /// <exception cref="CrmWebhookSignatureException">The request is not authentic.</exception>
    public static void Verify(ReadOnlySpan<byte> utf8Body, string? header, string secret, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Verify(utf8Body, header, [secret], tolerance, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Verifies a request against any of several secrets (a receiver that holds the old and the new secret while it
    /// switches) at a given time. Every <c>v1</c> is compared in constant time.
    /// </summary>
    /// <param name="utf8Body">The raw body bytes, exactly as received.</param>
    /// <param name="header">The <c>AutoCrm-Signature</c> header (null when missing).</param>
    /// <param name="secrets">The secrets to accept (at least one).</param>
    /// <param name="tolerance">How far the timestamp may be from <paramref name="now"/>, either way; positive.</param>
    /// <param name="now">The receiver's time (from its <see cref="TimeProvider"/>).</param>
    /// <exception cref="CrmWebhookSignatureException">The request is not authentic.</exception>
    /// <exception cref="CrmValidationException">No secret, a blank secret, or a tolerance that is not positive.</exception>
    public static void Verify(ReadOnlySpan<byte> utf8Body, string? header, IReadOnlyList<string> secrets, TimeSpan tolerance, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Count == 0 || secrets.Any(string.IsNullOrWhiteSpace))
        {
            throw Internal.CrmErrors.Invalid("secret", "A webhook secret is required to verify a signature.");
        }

        if (tolerance <= TimeSpan.Zero)
        {
            throw Internal.CrmErrors.Invalid("tolerance", "The signature tolerance must be positive.");
        }

        if (string.IsNullOrWhiteSpace(header))
        {
            throw Failure("signature_missing", $"The request has no {SignatureHeader} header.");
        }

        if (!TryParse(header, out var timestamp, out var signatures))
        {
            throw Failure("signature_malformed", $"The {SignatureHeader} header is not t=<unix seconds>,v1=<hex HMAC-SHA256>.");
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var matched = false;
        foreach (var secret in secrets)
        {
            Compute(utf8Body, timestamp, secret, expected);
            foreach (var signature in signatures)
            {
                // Every candidate is compared, in constant time, so timing tells nothing about which part matched.
                matched |= CryptographicOperations.FixedTimeEquals(expected, signature);
            }
        }

        if (!matched)
        {
            throw Failure("signature_mismatch", "The signature does not match the body with this secret (a changed body, or another secret).");
        }

        var age = now - DateTimeOffset.FromUnixTimeSeconds(timestamp);
        if (age.Duration() > tolerance)
        {
            throw Failure(
                "signature_expired",
                $"The signature was made at {DateTimeOffset.FromUnixTimeSeconds(timestamp):O}, outside the {tolerance} tolerance (a replay, or a clock that is off).");
        }
    }

    /// <summary>Makes the <c>AutoCrm-Signature</c> header for a body, as the dispatcher does (for a receiver's own tests).</summary>
    /// <param name="utf8Body">The body bytes.</param>
    /// <param name="timestamp">The signing time.</param>
    /// <param name="secrets">The secrets to sign with, one <c>v1</c> each.</param>
    /// <returns>The header value, e.g. <c>t=1767268800,v1=5f2b…</c>.</returns>
    public static string CreateHeader(ReadOnlySpan<byte> utf8Body, DateTimeOffset timestamp, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var t = timestamp.ToUnixTimeSeconds();
        var text = new StringBuilder("t=").Append(t.ToString(CultureInfo.InvariantCulture));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        foreach (var secret in secrets)
        {
            Internal.Guard.NotBlank(secret, "secret");
            Compute(utf8Body, t, secret, mac);
            text.Append(",v1=").Append(Convert.ToHexString(mac).ToLowerInvariant());
        }

        return text.ToString();
    }

    private static void Compute(ReadOnlySpan<byte> body, long timestamp, string secret, Span<byte> destination)
    {
        var prefix = Encoding.ASCII.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed, destination);
    }

    private static bool TryParse(string header, out long timestamp, out List<byte[]> signatures)
    {
        timestamp = 0;
        signatures = [];
        if (header.Length > MaxHeaderLength)
        {
            return false;
        }

        var hasTimestamp = false;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return false;
            }

            var value = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "t":
                    if (hasTimestamp || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out timestamp))
                    {
                        return false;
                    }

                    hasTimestamp = true;
                    break;
                case "v1":
                    if (signatures.Count >= MaxSignatures)
                    {
                        return false;
                    }

                    if (value.Length == HMACSHA256.HashSizeInBytes * 2 && value.All(char.IsAsciiHexDigit))
                    {
                        signatures.Add(Convert.FromHexString(value));
                    }

                    break;
                default:
                    // Other schemes (a future v2) are ignored, so receivers keep working when they are added.
                    break;
            }
        }

        return hasTimestamp && signatures.Count > 0;
    }

    private static CrmWebhookSignatureException Failure(string code, string message) =>
        new(new CrmErrorInfo { Status = 400, Code = code, Message = message, IsTransient = false });
}
