using AutoCrm.DevStack.Auth;

namespace AutoCrm.DevStack.Tests.Auth;

public sealed class AuthValidationTests
{
    [Theory]
    [InlineData("24h", 24 * 3600.0)]
    [InlineData("1h30m", 5400.0)]
    [InlineData("1.5h", 5400.0)]
    [InlineData("300ms", 0.3)]
    [InlineData("-2m", -120.0)]
    [InlineData("0", 0.0)]
    [InlineData("876000h", 876000 * 3600.0)]
    public void Go_durations_parse(string text, double seconds)
    {
        var parsed = AuthValidation.ParseGoDuration(text, out var error);

        Assert.Null(error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), parsed);
    }

    [Theory]
    [InlineData("", "time: invalid duration \"\"")]
    [InlineData("forever", "time: invalid duration \"forever\"")]
    [InlineData("10", "time: missing unit in duration \"10\"")]
    [InlineData("10d", "time: unknown unit \"d\" in duration \"10d\"")]
    [InlineData("99999999999999999999h", "time: invalid duration \"99999999999999999999h\"")]
    public void Bad_go_durations_are_refused_in_gos_words(string text, string message)
    {
        Assert.Null(AuthValidation.ParseGoDuration(text, out var error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData("a@b.co", true)]
    [InlineData("First.Last+tag@sub.example.org", true)]
    [InlineData("no-at-sign", false)]
    [InlineData("a@-bad.com", false)]
    [InlineData("a@b.c\n", false)]
    [InlineData("a b@c.d", false)]
    public void Email_format_follows_checkmail(string email, bool valid)
    {
        var exception = Record.Exception(() => AuthValidation.Email(email));

        Assert.Equal(valid, exception is null);
    }

    [Fact]
    public void Email_is_lower_cased()
    {
        Assert.Equal("first.last@example.org", AuthValidation.Email("First.Last@Example.ORG"));
    }

    [Fact]
    public void Pgcrypto_and_bcrypt_net_hashes_both_verify()
    {
        // crypt('autocrm-demo', gen_salt('bf', 4)) as pgcrypto writes it ($2a$).
        var hash = BCrypt.Net.BCrypt.HashPassword("autocrm-demo", BCrypt.Net.BCrypt.GenerateSalt(4, 'a'));

        Assert.True(AuthPasswords.Verify("autocrm-demo", hash));
        Assert.False(AuthPasswords.Verify("other", hash));
        Assert.False(AuthPasswords.Verify("autocrm-demo", "plain-text"));
        Assert.False(AuthPasswords.Verify("autocrm-demo", "$2a$10$tooShort"));
        Assert.False(AuthPasswords.Verify("autocrm-demo", null));
    }
}
