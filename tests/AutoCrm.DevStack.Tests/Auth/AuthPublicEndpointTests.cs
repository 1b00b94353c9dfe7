using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthPublicEndpointTests(AuthStackFixture stack)
{
    [Fact]
    public async Task Health_needs_no_api_key()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/health", apiKey: null);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GoTrue", (string?)json["name"]);
        Assert.Equal("GoTrue is a user registration and authentication API", (string?)json["description"]);
        Assert.StartsWith("v2.", (string?)json["version"]);
    }

    [Fact]
    public async Task Settings_reflect_the_local_config()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/settings");
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool?)json["external"]!["email"]);
        Assert.False((bool?)json["external"]!["phone"]);
        Assert.False((bool?)json["external"]!["anonymous_users"]);
        Assert.False((bool?)json["disable_signup"]);
        Assert.True((bool?)json["mailer_autoconfirm"]);
        Assert.False((bool?)json["phone_autoconfirm"]);
        Assert.Equal(string.Empty, (string?)json["sms_provider"]);
        Assert.False((bool?)json["saml_enabled"]);
    }

    [Fact]
    public async Task Jwks_has_no_keys_with_hs256()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/.well-known/jwks.json");
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(json["keys"]!.AsArray());
    }

    [Fact]
    public async Task Settings_without_an_api_key_are_refused_by_the_gateway()
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/settings", apiKey: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Legacy_error_format_without_the_version_header()
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = "nobody@x.test", ["password"] = "whatever" });
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(["code", "error_code", "msg"], json.Select(p => p.Key).Order().ToArray());
        Assert.Equal(400, (int?)json["code"]);
        Assert.Equal("invalid_credentials", response.Headers.GetValues("x-sb-error-code").Single());
        Assert.False(response.Headers.Contains("X-Supabase-Api-Version"));
    }

    [Fact]
    public async Task New_error_format_with_the_version_header_echoes_it()
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = "nobody@x.test", ["password"] = "whatever" }, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(["code", "message"], json.Select(p => p.Key).Order().ToArray());
        Assert.Equal("invalid_credentials", (string?)json["code"]);
        Assert.Equal("2024-01-01", response.Headers.GetValues("X-Supabase-Api-Version").Single());
        Assert.Equal("invalid_credentials", response.Headers.GetValues("x-sb-error-code").Single());
    }

    [Fact]
    public async Task Signup_disabled_is_422_signup_disabled()
    {
        var (closed, directory) = await stack.StartVariantAsync(config => config.Replace("enable_signup = true", "enable_signup = false", StringComparison.Ordinal));
        try
        {
            using var response = await AuthStackFixture.SendToAsync(closed, HttpMethod.Post, "/auth/v1/signup", new JsonObject { ["email"] = AuthStackFixture.UniqueEmail(), ["password"] = "secret-password" });
            var json = await AuthStackFixture.ReadObjectAsync(response);
            using var settings = await AuthStackFixture.SendToAsync(closed, HttpMethod.Get, "/auth/v1/settings");

            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("signup_disabled", (string?)json["code"]);
            Assert.Equal("Signups not allowed for this instance", (string?)json["message"]);
            Assert.True((bool?)(await AuthStackFixture.ReadObjectAsync(settings))["disable_signup"]);
        }
        finally
        {
            await closed.DisposeAsync();
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task With_confirmations_signup_returns_the_user_without_a_session_and_sign_in_waits_for_confirmation()
    {
        var (confirming, directory) = await stack.StartVariantAsync(config => config.Replace("enable_confirmations = false", "enable_confirmations = true", StringComparison.Ordinal));
        try
        {
            var email = AuthStackFixture.UniqueEmail("confirm");
            var body = new JsonObject { ["email"] = email, ["password"] = "secret-password" };
            using var signup = await AuthStackFixture.SendToAsync(confirming, HttpMethod.Post, "/auth/v1/signup", body);
            var user = await AuthStackFixture.ReadObjectAsync(signup);
            using var settings = await AuthStackFixture.SendToAsync(confirming, HttpMethod.Get, "/auth/v1/settings");
            using var signIn = await AuthStackFixture.SendToAsync(confirming, HttpMethod.Post, "/auth/v1/token?grant_type=password", body);
            var signInError = await AuthStackFixture.ReadObjectAsync(signIn);

            Assert.Equal(HttpStatusCode.OK, signup.StatusCode);
            Assert.Null(user["access_token"]);
            Assert.Equal(email, (string?)user["email"]);
            Assert.NotNull(user["confirmation_sent_at"]);
            Assert.Null(user["email_confirmed_at"]);
            Assert.False((bool?)(await AuthStackFixture.ReadObjectAsync(settings))["mailer_autoconfirm"]);
            Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);
            Assert.Equal("email_not_confirmed", (string?)signInError["code"]);

            // A confirmed address signing up again gets a fake user (no enumeration), not an error.
            using var again = await AuthStackFixture.SendToAsync(confirming, HttpMethod.Post, "/auth/v1/signup", new JsonObject { ["email"] = "erin@customer.demo", ["password"] = "secret-password" });
            var fake = await AuthStackFixture.ReadObjectAsync(again);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.NotEqual("c0000000-0000-4000-8000-000000000003", (string?)fake["id"]);
            Assert.Empty(fake["identities"]!.AsArray());

            // With confirmations on, an email change waits for the confirmation link: the address stays, new_email shows.
            var confirmed = AuthStackFixture.UniqueEmail("confirmed");
            await stack.SignUpAsync(confirmed);
            using var signInConfirmed = await AuthStackFixture.SendToAsync(confirming, HttpMethod.Post, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = confirmed, ["password"] = "secret-password" });
            var session = await AuthStackFixture.ReadObjectAsync(signInConfirmed);
            var wanted = AuthStackFixture.UniqueEmail("wanted");
            using var change = await AuthStackFixture.SendToAsync(confirming, HttpMethod.Put, "/auth/v1/user", new JsonObject { ["email"] = wanted }, bearer: (string)session["access_token"]!);
            var changed = await AuthStackFixture.ReadObjectAsync(change);
            Assert.Equal(HttpStatusCode.OK, change.StatusCode);
            Assert.Equal(confirmed, (string?)changed["email"]);
            Assert.Equal(wanted, (string?)changed["new_email"]);
            Assert.NotNull(changed["email_change_sent_at"]);
        }
        finally
        {
            await confirming.DisposeAsync();
            directory.Delete(recursive: true);
        }
    }
}
