using System.Text;
using AutoCrm.DevStack.Security;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.DevStack.Tests.Security;

public sealed class JwtServiceTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly FakeTimeProvider _time = new(Now);
    private readonly JwtService _jwt;

    public JwtServiceTests() => _jwt = new JwtService(DevStackDefaults.JwtSecret, _time);

    [Fact]
    public void Issuing_the_demo_payload_reproduces_the_cli_anon_and_service_role_keys()
    {
        Assert.Equal(DevStackDefaults.AnonKey, _jwt.Issue(Claims("anon", DevStackDefaults.DemoKeyExpiry)));
        Assert.Equal(DevStackDefaults.ServiceRoleKey, _jwt.Issue(Claims("service_role", DevStackDefaults.DemoKeyExpiry)));
    }

    [Fact]
    public void A_valid_token_returns_its_raw_claims_role_and_expiry()
    {
        var token = _jwt.Issue(new Dictionary<string, object?>
        {
            ["sub"] = "8d0fd2b4-0000-0000-0000-000000000001",
            ["role"] = "authenticated",
            ["exp"] = Now.ToUnixTimeSeconds() + 3600,
            ["app_metadata"] = new Dictionary<string, object?> { ["provider"] = "email" },
            ["amr"] = new object?[] { "password" },
        });

        var result = _jwt.Validate(token);

        Assert.True(result.IsValid, result.Message);
        Assert.Equal(JwtFailure.None, result.Failure);
        Assert.Equal("authenticated", result.Role);
        Assert.Equal(Now.ToUnixTimeSeconds() + 3600, result.Exp);
        Assert.Equal("email", (string?)result.Claims!["app_metadata"]!["provider"]);
        Assert.Equal("8d0fd2b4-0000-0000-0000-000000000001", (string?)result.Claims["sub"]);
    }

    [Fact]
    public void An_altered_payload_is_refused_as_a_bad_signature()
    {
        var parts = DevStackDefaults.AnonKey.Split('.');
        var forged = Base64Url("{\"iss\":\"supabase-demo\",\"role\":\"service_role\",\"exp\":1983812996}");
        var result = _jwt.Validate($"{parts[0]}.{forged}.{parts[2]}");
        Assert.Equal(JwtFailure.BadSignature, result.Failure);
        Assert.False(result.IsValid);
        Assert.Null(result.Claims);
    }

    [Theory]
    [InlineData("!!")]
    [InlineData("_A")]
    [InlineData("CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I1")]
    public void A_signature_with_characters_base64url_cannot_decode_is_malformed_not_an_exception(string signature)
    {
        var parts = DevStackDefaults.AnonKey.Split('.');
        var result = _jwt.Validate($"{parts[0]}.{parts[1]}.{signature}");
        Assert.False(result.IsValid);
        Assert.Contains(result.Failure, new[] { JwtFailure.Malformed, JwtFailure.BadSignature });
    }

    [Fact]
    public void A_token_signed_with_another_secret_is_refused()
    {
        var other = new JwtService("another-secret-that-is-at-least-32-characters!!", _time);
        var result = _jwt.Validate(other.Issue(Claims("service_role", DevStackDefaults.DemoKeyExpiry)));
        Assert.Equal(JwtFailure.BadSignature, result.Failure);
    }

    [Theory]
    [InlineData("{\"alg\":\"none\",\"typ\":\"JWT\"}", "")]
    [InlineData("{\"alg\":\"none\",\"typ\":\"JWT\"}", "c2ln")]
    [InlineData("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", "c2ln")]
    [InlineData("{\"typ\":\"JWT\"}", "")]
    public void Tokens_not_signed_with_hs256_are_refused(string header, string signature)
    {
        var payload = Base64Url("{\"role\":\"service_role\",\"exp\":1983812996}");
        var result = _jwt.Validate($"{Base64Url(header)}.{payload}.{signature}");
        Assert.Equal(JwtFailure.BadSignature, result.Failure);
        Assert.Null(result.Role);
    }

    [Fact]
    public void An_expired_token_is_refused_after_the_30_second_skew_but_not_within_it()
    {
        var token = _jwt.Issue(Claims("authenticated", Now.ToUnixTimeSeconds() - 30));
        Assert.True(_jwt.Validate(token).IsValid);

        _time.Advance(TimeSpan.FromSeconds(1));
        var result = _jwt.Validate(token);
        Assert.Equal(JwtFailure.Expired, result.Failure);
        Assert.Equal("JWT expired", result.Message);
        Assert.Equal(Now.ToUnixTimeSeconds() - 30, result.Exp);
    }

    [Fact]
    public void A_token_whose_nbf_is_in_the_future_is_not_yet_valid()
    {
        var token = _jwt.Issue(new Dictionary<string, object?> { ["role"] = "anon", ["nbf"] = Now.ToUnixTimeSeconds() + 120 });
        Assert.Equal(JwtFailure.NotYetValid, _jwt.Validate(token).Failure);
    }

    [Fact]
    public void A_token_without_role_is_valid_with_a_null_role()
    {
        var result = _jwt.Validate(_jwt.Issue(new Dictionary<string, object?> { ["sub"] = "x" }));
        Assert.True(result.IsValid);
        Assert.Null(result.Role);
        Assert.Null(result.Exp);
    }

    [Theory]
    [InlineData(null, nameof(JwtFailure.Missing))]
    [InlineData("", nameof(JwtFailure.Missing))]
    [InlineData("abc", nameof(JwtFailure.Malformed))]
    [InlineData("a.b", nameof(JwtFailure.Malformed))]
    [InlineData("a.b.c.d", nameof(JwtFailure.Malformed))]
    [InlineData("!!!.???.###", nameof(JwtFailure.Malformed))]
    public void Missing_and_malformed_tokens_are_refused(string? token, string expected)
    {
        Assert.Equal(Enum.Parse<JwtFailure>(expected), _jwt.Validate(token).Failure);
    }

    [Fact]
    public void A_signed_token_with_a_non_numeric_exp_or_non_string_role_is_malformed()
    {
        Assert.Equal(JwtFailure.Malformed, _jwt.Validate(_jwt.Issue(new Dictionary<string, object?> { ["exp"] = "soon" })).Failure);
        Assert.Equal(JwtFailure.Malformed, _jwt.Validate(_jwt.Issue(new Dictionary<string, object?> { ["role"] = 7 })).Failure);
    }

    private static Dictionary<string, object?> Claims(string role, long exp) => new() { ["iss"] = "supabase-demo", ["role"] = role, ["exp"] = exp };

    private static string Base64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
