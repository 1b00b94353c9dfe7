using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthTokenTests(AuthStackFixture stack)
{
    [Fact]
    public async Task Password_grant_accepts_a_seeded_pgcrypto_hash()
    {
        var session = await stack.SignInAsync("carol@customer.demo", "autocrm-demo");

        Assert.Equal("carol@customer.demo", (string?)session["user"]!["email"]);
        Assert.Matches("^[a-z0-9]{12}$", (string?)session["refresh_token"]);
        var claims = AuthStackFixture.DecodePayload((string)session["access_token"]!);
        Assert.Equal("c0000000-0000-4000-8000-000000000001", (string?)claims["sub"]);
    }

    [Fact]
    public async Task Password_grant_is_case_insensitive_on_the_email_and_creates_a_session_row()
    {
        var email = AuthStackFixture.UniqueEmail();
        await stack.SignUpAsync(email);
        var session = await stack.SignInAsync(email.ToUpperInvariant());
        var sessionId = Guid.Parse((string)AuthStackFixture.DecodePayload((string)session["access_token"]!)["session_id"]!);

        Assert.Equal(1L, await stack.ScalarAsync<long>("select count(*) from auth.sessions where id = $1", sessionId));
        Assert.Equal(1L, await stack.ScalarAsync<long>("select count(*) from auth.refresh_tokens where session_id = $1 and parent is null and revoked = false", sessionId));
    }

    [Theory]
    [InlineData("carol@customer.demo", "wrong-password")]
    [InlineData("nobody@nowhere.test", "autocrm-demo")]
    [InlineData("carol@customer.demo", "")]
    public async Task Wrong_credentials_are_400_invalid_credentials(string email, string password)
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = email, ["password"] = password });
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(400, (int?)json["code"]);
        Assert.Equal("invalid_credentials", (string?)json["error_code"]);
        Assert.Equal("Invalid login credentials", (string?)json["msg"]);
    }

    [Fact]
    public async Task Password_grant_without_email_or_phone_is_validation_failed()
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["password"] = "x" }, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_failed", (string?)json["code"]);
        Assert.Equal("missing email or phone", (string?)json["message"]);
    }

    [Fact]
    public async Task Unsupported_grant_type_is_invalid_credentials()
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=magic", new JsonObject(), apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_credentials", (string?)json["code"]);
        Assert.Equal("unsupported_grant_type", (string?)json["message"]);
    }

    [Fact]
    public async Task Unconfirmed_user_gets_email_not_confirmed()
    {
        var email = AuthStackFixture.UniqueEmail();
        using var created = await stack.SendAsync(
            HttpMethod.Post,
            "/auth/v1/admin/users",
            new JsonObject { ["email"] = email, ["password"] = "secret-password" },
            bearer: stack.Server.ServiceRoleKey);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);

        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = email, ["password"] = "secret-password" }, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("email_not_confirmed", (string?)json["code"]);
        Assert.Equal("Email not confirmed", (string?)json["message"]);
    }

    [Fact]
    public async Task Banned_user_cannot_sign_in()
    {
        var email = AuthStackFixture.UniqueEmail();
        using var created = await stack.SendAsync(
            HttpMethod.Post,
            "/auth/v1/admin/users",
            new JsonObject { ["email"] = email, ["password"] = "secret-password", ["email_confirm"] = true, ["ban_duration"] = "24h" },
            bearer: stack.Server.ServiceRoleKey);
        var user = await AuthStackFixture.ReadObjectAsync(created);
        Assert.NotNull(user["banned_until"]);

        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = email, ["password"] = "secret-password" }, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("user_banned", (string?)json["code"]);
    }

    [Fact]
    public async Task Password_grant_with_a_password_below_the_minimum_reports_weak_password_in_the_session()
    {
        var email = AuthStackFixture.UniqueEmail();
        using var created = await stack.SendAsync(
            HttpMethod.Post,
            "/auth/v1/admin/users",
            new JsonObject { ["email"] = email, ["password_hash"] = BCrypt.Net.BCrypt.HashPassword("abc", 4), ["email_confirm"] = true },
            bearer: stack.Server.ServiceRoleKey);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);

        var session = await stack.SignInAsync(email, "abc");

        Assert.Equal("length", (string?)session["weak_password"]!["reasons"]![0]);
    }
}
