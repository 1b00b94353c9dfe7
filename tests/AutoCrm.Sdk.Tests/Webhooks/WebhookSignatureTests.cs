using System.Text;
using AutoCrm.Sdk.Webhooks;

namespace AutoCrm.Sdk.Tests.Webhooks;

/// <summary>
/// <see cref="WebhookSignature.Verify(ReadOnlySpan{byte}, string?, IReadOnlyList{string}, TimeSpan, DateTimeOffset)"/>
/// accepts exactly what docs/webhooks.md says it accepts: the body as sent, signed with a secret the receiver holds, at
/// a time within the tolerance; during a rotation a header with both signatures verifies with either secret.
/// </summary>
public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";
    private const string OtherSecret = "whsec_ffeeddccbbaa99887766554433221100ffeeddccbbaa9988";
    private static readonly DateTimeOffset SignedAt = new(2026, 12, 5, 2, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"id": "6f1c2a4e-0b8d-4c55-9d7e-1a2b3c4d5e6f", "data": {"ticket": {"id": "8a0b3c1d-2e4f-4a6b-8c0d-1e2f3a4b5c6d", "subject": "Printer on fire"}}, "type": "ticket.created", "created_at": "2026-12-05T02:00:00+00:00"}""");

    [Fact]
    public void The_header_is_the_hex_hmac_sha256_of_timestamp_dot_body_keyed_with_the_whole_secret()
    {
        // Computed independently of the SDK: openssl dgst -sha256 -hmac "$secret" over "<t>.<body>".
        var t = SignedAt.ToUnixTimeSeconds();
        byte[] signed = [.. Encoding.ASCII.GetBytes($"{t}."), .. Body];
        var expected = Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed)).ToLowerInvariant();

        Assert.Equal($"t={t},v1={expected}", WebhookSignature.CreateHeader(Body, SignedAt, [Secret]));
    }

    [Fact]
    public void An_untouched_body_signed_with_the_secret_verifies_within_the_tolerance_either_way()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [Secret]);

        WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt);
        WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt.AddMinutes(5));
        WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt.AddMinutes(-5));
    }

    [Fact]
    public void A_tampered_body_is_refused_as_a_mismatch()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [Secret]);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace("Printer on fire", "Printer is fine", StringComparison.Ordinal));

        var error = Assert.Throws<CrmWebhookSignatureException>(() => WebhookSignature.Verify(tampered, header, [Secret], TimeSpan.FromMinutes(5), SignedAt));

        Assert.Equal("signature_mismatch", error.Code);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public void A_body_that_differs_only_in_whitespace_is_refused_because_the_raw_bytes_are_signed()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [Secret]);
        var reformatted = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace("\": ", "\":", StringComparison.Ordinal));

        Assert.Equal("signature_mismatch",
            Assert.Throws<CrmWebhookSignatureException>(() => WebhookSignature.Verify(reformatted, header, [Secret], TimeSpan.FromMinutes(5), SignedAt)).Code);
    }

    [Fact]
    public void The_wrong_secret_is_refused_as_a_mismatch()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [Secret]);

        Assert.Equal("signature_mismatch",
            Assert.Throws<CrmWebhookSignatureException>(() => WebhookSignature.Verify(Body, header, [OtherSecret], TimeSpan.FromMinutes(5), SignedAt)).Code);
    }

    [Fact]
    public void A_changed_timestamp_is_refused_as_a_mismatch_since_the_timestamp_is_signed()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [Secret]);
        var replayed = header.Replace($"t={SignedAt.ToUnixTimeSeconds()}", $"t={SignedAt.AddHours(1).ToUnixTimeSeconds()}", StringComparison.Ordinal);

        Assert.Equal("signature_mismatch",
            Assert.Throws<CrmWebhookSignatureException>(() => WebhookSignature.Verify(Body, replayed, [Secret], TimeSpan.FromMinutes(5), SignedAt.AddHours(1))).Code);
    }

    [Fact]
    public void A_correct_signature_outside_the_tolerance_is_refused_as_expired_in_both_directions()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [Secret]);

        var late = Assert.Throws<CrmWebhookSignatureException>(() => WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt.AddMinutes(5).AddSeconds(1)));
        var early = Assert.Throws<CrmWebhookSignatureException>(() => WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt.AddMinutes(-6)));

        Assert.Equal("signature_expired", late.Code);
        Assert.Equal("signature_expired", early.Code);
        Assert.Contains("tolerance", late.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void During_a_rotation_the_header_carries_both_signatures_and_either_secret_verifies()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [OtherSecret, Secret]);

        Assert.Matches(@"^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$", header);
        WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt);
        WebhookSignature.Verify(Body, header, [OtherSecret], TimeSpan.FromMinutes(5), SignedAt);
    }

    [Fact]
    public void After_the_overlap_the_retired_secret_no_longer_verifies_and_a_receiver_holding_both_still_does()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [OtherSecret]);

        Assert.Equal("signature_mismatch",
            Assert.Throws<CrmWebhookSignatureException>(() => WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt)).Code);
        WebhookSignature.Verify(Body, header, [Secret, OtherSecret], TimeSpan.FromMinutes(5), SignedAt);
    }

    [Theory]
    [InlineData(null, "signature_missing")]
    [InlineData("", "signature_missing")]
    [InlineData("v1=00", "signature_malformed")]
    [InlineData("t=1796436000", "signature_malformed")]
    [InlineData("t=abc,v1=0000000000000000000000000000000000000000000000000000000000000000", "signature_malformed")]
    [InlineData("t=1796436000,t=1796436000,v1=0000000000000000000000000000000000000000000000000000000000000000", "signature_malformed")]
    [InlineData("t=1796436000,v1=nothex", "signature_malformed")]
    [InlineData("garbage", "signature_malformed")]
    [InlineData("t=1796436000,v1=0000000000000000000000000000000000000000000000000000000000000000", "signature_mismatch")]
    public void Missing_or_malformed_headers_are_refused_with_their_own_code(string? header, string code)
    {
        Assert.Equal(code,
            Assert.Throws<CrmWebhookSignatureException>(() => WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt)).Code);
    }

    [Fact]
    public void Unknown_schemes_are_ignored_so_a_future_v2_does_not_break_receivers()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [Secret]) + ",v2=whatever";

        WebhookSignature.Verify(Body, header, [Secret], TimeSpan.FromMinutes(5), SignedAt);
    }

    [Fact]
    public void The_string_overload_verifies_the_utf8_body_against_the_system_clock()
    {
        var body = Encoding.UTF8.GetString(Body);
        var header = WebhookSignature.CreateHeader(Body, DateTimeOffset.UtcNow, [Secret]);

        WebhookSignature.Verify(body, header, Secret, WebhookSignature.DefaultTolerance);
        Assert.Equal("signature_expired", Assert.Throws<CrmWebhookSignatureException>(
            () => WebhookSignature.Verify(body, WebhookSignature.CreateHeader(Body, SignedAt.AddYears(-1), [Secret]), Secret, WebhookSignature.DefaultTolerance)).Code);
    }

    [Fact]
    public void A_blank_secret_or_a_tolerance_that_is_not_positive_is_a_validation_error_naming_the_argument()
    {
        var header = WebhookSignature.CreateHeader(Body, SignedAt, [Secret]);

        Assert.Equal("secret", Assert.Throws<CrmValidationException>(() => WebhookSignature.Verify(Body, header, [" "], TimeSpan.FromMinutes(5), SignedAt)).Field);
        Assert.Equal("secret", Assert.Throws<CrmValidationException>(() => WebhookSignature.Verify(Body, header, [], TimeSpan.FromMinutes(5), SignedAt)).Field);
        Assert.Equal("tolerance", Assert.Throws<CrmValidationException>(() => WebhookSignature.Verify(Body, header, [Secret], TimeSpan.Zero, SignedAt)).Field);
    }

    [Fact]
    public void The_event_parses_into_its_typed_parts_and_keeps_the_delivery_id()
    {
        var delivery = Guid.NewGuid();

        var evt = WebhookEvent.Parse(Body, delivery);

        Assert.Equal(WebhookEventType.TicketCreated, evt.Type);
        Assert.Equal(delivery, evt.DeliveryId);
        Assert.Equal("Printer on fire", evt.Ticket?.Subject);
        Assert.Null(evt.Message);
        Assert.Equal(SignedAt, evt.CreatedAt);
    }

    [Fact]
    public void An_event_type_this_sdk_does_not_know_still_parses_with_its_data()
    {
        var evt = WebhookEvent.Parse("""{"id": "6f1c2a4e-0b8d-4c55-9d7e-1a2b3c4d5e6f", "type": "rule.notify", "created_at": "2026-12-05T02:00:00+00:00", "data": {"rule": "vip"}}""");

        Assert.Equal(WebhookEventType.RuleNotify, evt.Type);
        Assert.Equal("vip", evt.Data.GetProperty("rule").GetString());
        Assert.Equal("later.added", WebhookEvent.Parse("""{"id": "6f1c2a4e-0b8d-4c55-9d7e-1a2b3c4d5e6f", "type": "later.added", "data": {}}""").Type.Value);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("""{"id": "6f1c2a4e-0b8d-4c55-9d7e-1a2b3c4d5e6f", "type": "ticket.created"}""")]
    [InlineData("""{"type": "ticket.created", "data": {}}""")]
    public void A_body_that_is_not_an_event_is_a_validation_error(string body)
    {
        var error = Assert.Throws<CrmValidationException>(() => WebhookEvent.Parse(body));

        Assert.Equal("invalid_payload", error.Code);
        Assert.Equal("body", error.Field);
    }
}
