using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.DevStack.Tests.Auth;

/// <summary>GoTrue's per-address rate limits (token buckets) and their 429 <c>over_request_rate_limit</c>.</summary>
[Collection(AuthCollection.Name)]
public sealed class AuthRateLimitTests(AuthStackFixture stack)
{
    private static readonly JsonObject WrongCredentials = new() { ["email"] = "nobody@rate.test", ["password"] = "wrong-password" };

    [Fact]
    public async Task Past_the_burst_token_requests_get_429_over_request_rate_limit_in_both_error_formats()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (server, directory) = await stack.StartVariantAsync(config => config, enforceRateLimits: true, clock: clock);
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            for (var i = 0; i < 30; i++)
            {
                using var allowed = await SendAsync(http, server, "/auth/v1/token?grant_type=password", WrongCredentials, modern: true);
                Assert.Equal(HttpStatusCode.BadRequest, allowed.StatusCode);
            }

            using var modern = await SendAsync(http, server, "/auth/v1/token?grant_type=password", WrongCredentials, modern: true);
            var modernJson = await AuthStackFixture.ReadObjectAsync(modern);
            using var legacy = await SendAsync(http, server, "/auth/v1/token?grant_type=refresh_token", new JsonObject { ["refresh_token"] = "x" }, modern: false);
            var legacyJson = await AuthStackFixture.ReadObjectAsync(legacy);

            Assert.Equal(HttpStatusCode.TooManyRequests, modern.StatusCode);
            Assert.Equal("""{"code":"over_request_rate_limit","message":"Request rate limit reached"}""", modernJson.ToJsonString());
            Assert.Equal("over_request_rate_limit", modern.Headers.GetValues("x-sb-error-code").Single());
            Assert.Equal("2024-01-01", modern.Headers.GetValues("X-Supabase-Api-Version").Single());
            Assert.Equal(HttpStatusCode.TooManyRequests, legacy.StatusCode);
            Assert.Equal("""{"code":429,"error_code":"over_request_rate_limit","msg":"Request rate limit reached"}""", legacyJson.ToJsonString());
            Assert.Equal("over_request_rate_limit", legacy.Headers.GetValues("x-sb-error-code").Single());

            // An unsupported grant is refused before the limiter, as GoTrue does.
            using var unsupported = await SendAsync(http, server, "/auth/v1/token?grant_type=magic", WrongCredentials, modern: true);
            Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
        }

        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task The_token_bucket_refills_at_token_refresh_per_five_minutes_up_to_the_burst()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (server, directory) = await stack.StartVariantAsync(
            config => config.Replace("token_refresh = 150", "token_refresh = 60", StringComparison.Ordinal),
            enforceRateLimits: true,
            clock: clock);
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            Assert.Equal(30, await CountAllowedAsync(http, server, 40));

            // 60 per 5 minutes = one token every 5 s.
            clock.Advance(TimeSpan.FromSeconds(4.9));
            Assert.Equal(0, await CountAllowedAsync(http, server, 1));
            clock.Advance(TimeSpan.FromSeconds(0.1));
            Assert.Equal(1, await CountAllowedAsync(http, server, 3));

            // A whole window later the bucket is full again, but never above the burst of 30.
            clock.Advance(TimeSpan.FromMinutes(5));
            Assert.Equal(30, await CountAllowedAsync(http, server, 40));
        }

        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Sign_ups_have_their_own_bucket_from_sign_in_sign_ups()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (server, directory) = await stack.StartVariantAsync(
            config => config.Replace("sign_in_sign_ups = 30", "sign_in_sign_ups = 60", StringComparison.Ordinal),
            enforceRateLimits: true,
            clock: clock);
        await using (server)
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            var weak = new JsonObject { ["email"] = "weak@rate.test", ["password"] = "x" };
            for (var i = 0; i < 30; i++)
            {
                using var counted = await SendAsync(http, server, "/auth/v1/signup", weak, modern: true);
                Assert.Equal(HttpStatusCode.UnprocessableEntity, counted.StatusCode);
            }

            using var limited = await SendAsync(http, server, "/auth/v1/signup", weak, modern: true);
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);

            // Anonymous sign-ups are refused before the limiter; the token bucket is untouched.
            using var anonymous = await SendAsync(http, server, "/auth/v1/signup", new JsonObject(), modern: true);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, anonymous.StatusCode);
            using var signIn = await SendAsync(http, server, "/auth/v1/token?grant_type=password", new JsonObject { ["email"] = "carol@customer.demo", ["password"] = "autocrm-demo" }, modern: true);
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);

            // 60 per 5 minutes = one every 5 s.
            clock.Advance(TimeSpan.FromSeconds(4));
            using var early = await SendAsync(http, server, "/auth/v1/signup", weak, modern: true);
            Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);
            clock.Advance(TimeSpan.FromSeconds(1));
            using var again = await SendAsync(http, server, "/auth/v1/signup", weak, modern: true);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        }

        directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Without_enforcement_as_with_supabase_start_many_sign_ins_from_one_address_are_never_limited()
    {
        for (var i = 0; i < 40; i++)
        {
            using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=password", WrongCredentials, apiVersion2024: true);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.False(stack.Server.Services.GetRequiredService<DevStackSettings>().EnforceAuthRateLimits);
    }

    [Fact]
    public void Each_address_has_its_own_buckets_and_put_user_its_own_limiter()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new DevStackSettings { JwtSecret = DevStackDefaults.JwtSecret, EnforceAuthRateLimits = true };
        var limiter = new AuthRateLimiter(settings, clock);
        var first = Context("10.1.1.1");
        var second = Context("10.1.1.2");

        for (var i = 0; i < 30; i++)
        {
            limiter.Check(AuthLimit.Token, first);
        }

        var refused = Assert.Throws<AuthApiException>(() => limiter.Check(AuthLimit.Token, first));
        Assert.Equal(429, refused.Status);
        Assert.Equal("over_request_rate_limit", refused.ErrorCode);
        Assert.Equal("Request rate limit reached", refused.Message);
        limiter.Check(AuthLimit.Token, second);
        limiter.Check(AuthLimit.User, first);
        limiter.Check(AuthLimit.Signups, first);

        // 150 per 5 minutes: one token every 2 s.
        clock.Advance(TimeSpan.FromSeconds(2));
        limiter.Check(AuthLimit.Token, first);
        Assert.Throws<AuthApiException>(() => limiter.Check(AuthLimit.Token, first));
    }

    [Fact]
    public void Rate_limits_come_from_config_toml_with_the_cli_defaults_when_absent()
    {
        var defaults = DevStackSettings.FromConfigToml("[auth]\nenabled = true\n", DevStackDefaults.JwtSecret, "http://127.0.0.1:1").RateLimits;
        Assert.Equal(new AuthRateLimits { EmailSent = 2, SmsSent = 30, AnonymousUsers = 30, TokenRefresh = 150, SignInSignUps = 30, TokenVerifications = 30, Web3 = 30 }, defaults);
        var embedded = DevStackSettings.FromConfigToml(AutoCrm.DevStack.Postgres.SupabaseProject.Embedded().ConfigToml, DevStackDefaults.JwtSecret, "http://127.0.0.1:1");
        Assert.Equal(defaults, embedded.RateLimits);
        Assert.Equal(string.Empty, embedded.PasswordRequirements);

        var configured = DevStackSettings.FromConfigToml(
            """
            [auth.rate_limit]
            email_sent = 7
            sms_sent = 8
            anonymous_users = 9
            token_refresh = 10
            sign_in_sign_ups = 11
            token_verifications = 12
            web3 = 13
            """,
            DevStackDefaults.JwtSecret,
            "http://127.0.0.1:1").RateLimits;
        Assert.Equal(new AuthRateLimits { EmailSent = 7, SmsSent = 8, AnonymousUsers = 9, TokenRefresh = 10, SignInSignUps = 11, TokenVerifications = 12, Web3 = 13 }, configured);
    }

    private static DefaultHttpContext Context(string address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        return context;
    }

    private static async Task<int> CountAllowedAsync(HttpClient http, DevStackServer server, int attempts)
    {
        var allowed = 0;
        for (var i = 0; i < attempts; i++)
        {
            using var response = await SendAsync(http, server, "/auth/v1/token?grant_type=password", WrongCredentials, modern: true);
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests });
            allowed += response.StatusCode == HttpStatusCode.BadRequest ? 1 : 0;
        }

        return allowed;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, DevStackServer server, string path, JsonNode body, bool modern)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", server.AnonKey);
        if (modern)
        {
            request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        }

        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }
}
