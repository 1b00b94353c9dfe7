using System.Net;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Auth;

namespace AutoCrm.DevStack.Tests.Auth;

/// <summary>config.toml <c>password_requirements</c>: GoTrue's <c>characters</c> reason of <c>weak_password</c>.</summary>
[Collection(AuthCollection.Name)]
public sealed class AuthPasswordPolicyTests(AuthStackFixture stack)
{
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";
    private const string Symbols = "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~";

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("letters_digits", new[] { Lower + Upper, Digits })]
    [InlineData("lower_upper_letters_digits", new[] { Lower, Upper, Digits })]
    [InlineData("lower_upper_letters_digits_symbols", new[] { Lower, Upper, Digits, Symbols })]
    public void Each_cli_requirement_gives_gotrues_character_sets(string requirements, string[] sets)
    {
        Assert.Equal(sets, PasswordPolicy.From(6, requirements).RequiredCharacters);
    }

    [Fact]
    public void Decoding_joins_a_set_that_ends_in_a_backslash_with_the_next_one()
    {
        Assert.Equal(["ab", "c:d", "e"], PasswordPolicy.DecodeRequiredCharacters("ab:c\\:d::e:"));
    }

    [Fact]
    public void An_unknown_requirement_stops_the_start_like_the_cli()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            DevStackSettings.FromConfigToml("[auth]\npassword_requirements = \"digits\"\n", DevStackDefaults.JwtSecret, "http://127.0.0.1:1"));
        Assert.Contains("auth.password_requirements", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lower_upper_letters_digits", 6, "Abcdef1", null)]
    [InlineData("lower_upper_letters_digits", 6, "abcdef1", "characters")]
    [InlineData("lower_upper_letters_digits_symbols", 6, "Abcde1:", null)]
    [InlineData("lower_upper_letters_digits_symbols", 6, "Abcde1\\", null)]
    [InlineData("lower_upper_letters_digits_symbols", 6, "Abcde1 ", "characters")]
    [InlineData("letters_digits", 6, "ÄÖÜßéè1", "characters")]
    [InlineData("letters_digits", 6, "é1é1", "characters")]
    [InlineData("letters_digits", 8, "abc", "length,characters")]
    [InlineData("", 6, "ab", "length")]
    public void Reasons_follow_gotrue(string requirements, int minimumLength, string password, string? reasons)
    {
        var weak = AuthPasswords.Evaluate(password, PasswordPolicy.From(minimumLength, requirements));
        Assert.Equal(reasons, weak is null ? null : string.Join(',', weak.Reasons));
    }

    [Fact]
    public void Both_rules_broken_give_both_messages_in_one_sentence_each()
    {
        var weak = AuthPasswords.Evaluate("ab", PasswordPolicy.From(8, "lower_upper_letters_digits"));
        Assert.NotNull(weak);
        Assert.Equal(
            "Password should be at least 8 characters. Password should contain at least one character of each: "
                + "abcdefghijklmnopqrstuvwxyz, ABCDEFGHIJKLMNOPQRSTUVWXYZ, 0123456789.",
            weak.Message);
    }

    [Fact]
    public async Task Signup_and_password_change_refuse_a_password_without_the_required_characters()
    {
        var (server, directory) = await stack.StartVariantAsync(config => config.Replace(
            "password_requirements = \"\"",
            "password_requirements = \"lower_upper_letters_digits\"",
            StringComparison.Ordinal));
        await using (server)
        {
            var email = AuthStackFixture.UniqueEmail("policy");
            using var weak = await AuthStackFixture.SendToAsync(server, HttpMethod.Post, "/auth/v1/signup", new JsonObject { ["email"] = email, ["password"] = "alllowercase1" });
            var weakJson = await AuthStackFixture.ReadObjectAsync(weak);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, weak.StatusCode);
            Assert.Equal("weak_password", (string?)weakJson["code"]);
            Assert.Equal(
                "Password should contain at least one character of each: abcdefghijklmnopqrstuvwxyz, ABCDEFGHIJKLMNOPQRSTUVWXYZ, 0123456789.",
                (string?)weakJson["message"]);
            Assert.Equal("""["characters"]""", weakJson["weak_password"]!["reasons"]!.ToJsonString());

            using var strong = await AuthStackFixture.SendToAsync(server, HttpMethod.Post, "/auth/v1/signup", new JsonObject { ["email"] = email, ["password"] = "Mixed-Case-1" });
            var session = await AuthStackFixture.ReadObjectAsync(strong);
            Assert.Equal(HttpStatusCode.OK, strong.StatusCode);

            using var change = await AuthStackFixture.SendToAsync(server, HttpMethod.Put, "/auth/v1/user", new JsonObject { ["password"] = "NODIGITS-here" }, (string)session["access_token"]!);
            var changeJson = await AuthStackFixture.ReadObjectAsync(change);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, change.StatusCode);
            Assert.Equal("""["characters"]""", changeJson["weak_password"]!["reasons"]!.ToJsonString());
        }

        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Signing_in_with_a_password_that_breaks_the_new_rules_reports_it_in_the_session()
    {
        var (server, directory) = await stack.StartVariantAsync(config => config.Replace(
            "password_requirements = \"\"",
            "password_requirements = \"letters_digits\"",
            StringComparison.Ordinal));
        await using (server)
        {
            // The seed's password has letters but no digit.
            using var response = await AuthStackFixture.SendToAsync(server, HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = "dave@customer.demo", ["password"] = "autocrm-demo" });
            var session = await AuthStackFixture.ReadObjectAsync(response);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("""["characters"]""", session["weak_password"]!["reasons"]!.ToJsonString());
            Assert.Equal(
                "Password should contain at least one character of each: abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ, 0123456789.",
                (string?)session["weak_password"]!["message"]);
        }

        directory.Delete(recursive: true);
    }
}
