using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthSignupTests(AuthStackFixture stack)
{
    [Fact]
    public async Task Signup_with_autoconfirm_returns_a_session_with_the_user_and_headers()
    {
        var email = AuthStackFixture.UniqueEmail("Signup");
        using var response = await stack.SendAsync(
            HttpMethod.Post,
            "/auth/v1/signup",
            new JsonObject { ["email"] = email, ["password"] = "secret-password", ["data"] = new JsonObject { ["display_name"] = "Sam" } });
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("bearer", (string?)json["token_type"]);
        Assert.Equal(3600, (int?)json["expires_in"]);
        Assert.Matches("^[a-z0-9]{12}$", (string?)json["refresh_token"]);
        var user = json["user"]!.AsObject();
        Assert.Equal(email.ToLowerInvariant(), (string?)user["email"]);
        Assert.Equal("authenticated", (string?)user["aud"]);
        Assert.Equal("authenticated", (string?)user["role"]);
        Assert.NotNull(user["email_confirmed_at"]);
        Assert.NotNull(user["last_sign_in_at"]);
        Assert.Null(user["confirmation_sent_at"]);
        Assert.Equal("Sam", (string?)user["user_metadata"]!["display_name"]);
        Assert.True((bool?)user["user_metadata"]!["email_verified"]);
        Assert.Equal("email", (string?)user["app_metadata"]!["provider"]);
        Assert.False((bool?)user["is_anonymous"]);
        var identity = user["identities"]!.AsArray().Single()!.AsObject();
        Assert.Equal((string?)user["id"], (string?)identity["id"]);
        Assert.Equal((string?)user["id"], (string?)identity["user_id"]);
        Assert.NotEqual((string?)user["id"], (string?)identity["identity_id"]);
        Assert.Equal("email", (string?)identity["provider"]);
        Assert.Equal(user["id"]!.ToString(), response.Headers.GetValues("sb-auth-user-id").Single());
        Assert.Equal(AuthStackFixture.DecodePayload((string)json["access_token"]!)["session_id"]!.ToString(), response.Headers.GetValues("sb-auth-session-id").Single());
    }

    [Fact]
    public async Task Access_token_has_exactly_the_gotrue_claims()
    {
        var email = AuthStackFixture.UniqueEmail();
        var session = await stack.SignUpAsync(email);
        var claims = AuthStackFixture.DecodePayload((string)session["access_token"]!);

        string[] expected = ["iss", "sub", "aud", "exp", "iat", "email", "phone", "app_metadata", "user_metadata", "role", "aal", "amr", "session_id", "is_anonymous"];
        Assert.Equal(expected.Order(), claims.Select(c => c.Key).Order());
        Assert.Equal(stack.Server.Url.ToString().TrimEnd('/') + "/auth/v1", (string?)claims["iss"]);
        Assert.Equal("authenticated", (string?)claims["aud"]);
        Assert.Equal("authenticated", (string?)claims["role"]);
        Assert.Equal("aal1", (string?)claims["aal"]);
        Assert.Equal(email, (string?)claims["email"]);
        Assert.Equal(string.Empty, (string?)claims["phone"]);
        Assert.Equal((long)claims["iat"]! + 3600, (long)claims["exp"]!);
        Assert.Equal(stack.Clock.GetUtcNow().ToUnixTimeSeconds(), (long)claims["iat"]!);
        Assert.Equal((long)claims["exp"]!, (long)session["expires_at"]!);
        var amr = claims["amr"]!.AsArray().Single()!;
        Assert.Equal("password", (string?)amr["method"]);
        Assert.Equal((string?)session["user"]!["id"], (string?)claims["sub"]);
        Assert.True(Guid.TryParse((string?)claims["session_id"], out _));
    }

    [Fact]
    public async Task Signup_creates_the_profile_through_the_trigger_and_stores_a_bcrypt_hash()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var id = Guid.Parse((string)session["user"]!["id"]!);

        Assert.Equal(1L, await stack.ScalarAsync<long>("select count(*) from public.profiles where id = $1", id));
        var hash = await stack.ScalarAsync<string>("select encrypted_password from auth.users where id = $1", id);
        Assert.StartsWith("$2a$10$", hash);
    }

    [Fact]
    public async Task Signup_of_an_existing_confirmed_email_is_422_user_already_exists()
    {
        var email = AuthStackFixture.UniqueEmail();
        await stack.SignUpAsync(email);

        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/signup", new JsonObject { ["email"] = email.ToUpperInvariant(), ["password"] = "another-password" }, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("user_already_exists", (string?)json["code"]);
        Assert.Equal("User already registered", (string?)json["message"]);
    }

    [Fact]
    public async Task Short_password_is_422_weak_password_with_reasons_in_both_formats()
    {
        var body = new JsonObject { ["email"] = AuthStackFixture.UniqueEmail(), ["password"] = "abc" };
        using var modern = await stack.SendAsync(HttpMethod.Post, "/auth/v1/signup", body, apiVersion2024: true);
        var modernJson = await AuthStackFixture.ReadObjectAsync(modern);
        using var legacy = await stack.SendAsync(HttpMethod.Post, "/auth/v1/signup", body);
        var legacyJson = await AuthStackFixture.ReadObjectAsync(legacy);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, modern.StatusCode);
        Assert.Equal("weak_password", (string?)modernJson["code"]);
        Assert.Equal("Password should be at least 6 characters.", (string?)modernJson["message"]);
        Assert.Equal("length", (string?)modernJson["weak_password"]!["reasons"]![0]);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, legacy.StatusCode);
        Assert.Equal(422, (int?)legacyJson["code"]);
        Assert.Equal("weak_password", (string?)legacyJson["error_code"]);
        Assert.Equal("length", (string?)legacyJson["weak_password"]!["reasons"]![0]);
        Assert.Equal("weak_password", legacy.Headers.GetValues("x-sb-error-code").Single());
    }

    [Theory]
    [InlineData("""{"email":"a@b.test"}""", 400, "validation_failed", "Signup requires a valid password")]
    [InlineData("""{"email":"not-an-email","password":"secret-password"}""", 400, "validation_failed", "Unable to validate email address: invalid format")]
    [InlineData("""{"password":"secret-password"}""", 422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled")]
    [InlineData("""{"email":"a@b.test","phone":"15551234567","password":"secret-password"}""", 400, "validation_failed", "Only an email address or phone number should be provided on signup.")]
    [InlineData("""{"email":"a@b.test","password":"x"}""", 422, "weak_password", "Password should be at least 6 characters.")]
    [InlineData("""{"email":42,"password":"secret-password"}""", 400, "bad_json", null)]
    [InlineData("""{"email":"a@b.test","password":"secret-password","data":"text"}""", 400, "bad_json", null)]
    [InlineData("""[1,2]""", 400, "bad_json", null)]
    [InlineData("""{"email":"nul@nul.test","password":"secret-password","data":{"k":"a\u0000b"}}""", 400, "validation_failed", null)]
    [InlineData("""{"email":""", 400, "bad_json", null)]
    [InlineData("", 400, "bad_json", "Could not parse request body as JSON: unexpected end of JSON input")]
    [InlineData("""{"email":"a@b.test","email":"c@d.test"}""", 400, "bad_json", null)]
    public async Task Invalid_signups_are_refused_with_gotrue_codes(string body, int status, string code, string? message)
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/signup", body, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, (string?)json["code"]);
        Assert.Equal(code, response.Headers.GetValues("x-sb-error-code").Single());
        if (message is not null)
        {
            Assert.Equal(message, (string?)json["message"]);
        }
        else if (code == "bad_json")
        {
            Assert.StartsWith("Could not parse request body as JSON: ", (string?)json["message"]);
        }
    }

    [Fact]
    public async Task Unknown_body_fields_are_ignored()
    {
        var email = AuthStackFixture.UniqueEmail();
        var body = $$"""{"email":"{{email}}","password":"secret-password","gotrue_meta_security":{"captcha_token":null},"code_challenge":null,"code_challenge_method":null,"extra":[1,{"x":true}]}""";
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/signup", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Body_over_one_megabyte_is_refused_without_a_500()
    {
        var huge = new byte[(1024 * 1024) + 10];
        Array.Fill(huge, (byte)' ');
        huge[0] = (byte)'{';
        huge[^1] = (byte)'}';
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/signup", huge, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("validation_failed", (string?)json["code"]);
    }

    [Fact]
    public async Task Invalid_utf8_in_the_body_is_bad_json()
    {
        byte[] body = [.. "{\"email\":\""u8, 0xC3, 0x28, .. "@x.test\",\"password\":\"secret-password\"}"u8];
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/signup", body, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_json", (string?)json["code"]);
    }
}
