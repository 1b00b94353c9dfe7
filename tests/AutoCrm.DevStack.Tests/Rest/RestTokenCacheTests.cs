using System.Text.Json.Nodes;
using AutoCrm.DevStack.Rest;
using AutoCrm.DevStack.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>
/// The REST authenticator checks a bearer token's signature once and keeps its claims; exp and nbf are checked again on
/// every use, so an expired token is refused exactly as before.
/// </summary>
[Collection("rest")]
public sealed class RestTokenCacheTests(RestFixture fx)
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private (RestAuthenticator Authenticator, FakeTimeProvider Time, Func<int> Validations) NewAuthenticator()
    {
        var time = new FakeTimeProvider(Start);
        var jwt = new JwtService(RestFixture.Secret, time);
        var validations = 0;
        var environment = new RestEnvironment
        {
            Authenticator = fx.Environment.Authenticator,
            Admin = fx.Environment.Admin,
            TimeProvider = time,
            ValidateJwt = token =>
            {
                Interlocked.Increment(ref validations);
                return RestEnvironmentFactory.Map(jwt.Validate(token));
            },
        };
        return (new RestAuthenticator(environment), time, () => Volatile.Read(ref validations));
    }

    private static HttpRequest Request(string token)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + token;
        return context.Request;
    }

    private static string Token(JsonObject claims) => RestFixture.Token(claims);

    [Fact]
    public void A_token_is_validated_once_and_its_claims_reused()
    {
        var (handler, _, validations) = NewAuthenticator();
        var token = Token(new JsonObject { ["role"] = "authenticated", ["sub"] = "s-1", ["email"] = "a@example.com", ["exp"] = Start.ToUnixTimeSeconds() + 60 });

        var (role, claims) = handler.Authenticate(Request(token));
        var (role2, claims2) = handler.Authenticate(Request(token));

        Assert.Equal(1, validations());
        Assert.Equal("authenticated", role);
        Assert.Equal(role, role2);
        Assert.Same(claims, claims2);
        Assert.Equal("s-1", claims.Sub);
        Assert.Equal("a@example.com", claims.Email);
        Assert.Equal("authenticated", JsonNode.Parse(claims.Json)!["role"]!.GetValue<string>());
    }

    [Fact]
    public void A_cached_token_that_expires_is_refused_with_PGRST303()
    {
        var (handler, time, validations) = NewAuthenticator();
        var token = Token(new JsonObject { ["role"] = "authenticated", ["exp"] = Start.ToUnixTimeSeconds() + 60 });
        handler.Authenticate(Request(token));

        // Inside the 30 s clock skew after exp: still the cached claims.
        time.Advance(TimeSpan.FromSeconds(90));
        handler.Authenticate(Request(token));
        Assert.Equal(1, validations());

        time.Advance(TimeSpan.FromSeconds(1));
        var e = Assert.Throws<RestException>(() => handler.Authenticate(Request(token)));
        Assert.Equal(401, e.Status);
        Assert.Equal("PGRST303", e.Code);
        Assert.Equal("JWT expired", e.Message);
        Assert.Equal(2, validations());
    }

    [Fact]
    public void A_token_not_yet_valid_is_not_cached_and_becomes_valid_on_time()
    {
        var (handler, time, validations) = NewAuthenticator();
        var token = Token(new JsonObject { ["role"] = "authenticated", ["nbf"] = Start.ToUnixTimeSeconds() + 100 });
        Assert.Equal("PGRST303", Assert.Throws<RestException>(() => handler.Authenticate(Request(token))).Code);

        time.Advance(TimeSpan.FromSeconds(71));
        Assert.Equal("authenticated", handler.Authenticate(Request(token)).Role);
        Assert.Equal(2, validations());
    }

    [Fact]
    public void Tokens_with_fractional_time_claims_or_bad_signatures_are_validated_every_time()
    {
        var (handler, _, validations) = NewAuthenticator();
        var fractional = Token(new JsonObject { ["role"] = "authenticated", ["exp"] = Start.ToUnixTimeSeconds() + 60.5 });
        handler.Authenticate(Request(fractional));
        handler.Authenticate(Request(fractional));
        Assert.Equal(2, validations());

        var valid = Token(new JsonObject { ["role"] = "authenticated" });
        handler.Authenticate(Request(valid));
        var tampered = valid[..^2] + (valid[^2] == 'A' ? "B" : "A") + valid[^1];
        Assert.Equal(401, Assert.Throws<RestException>(() => handler.Authenticate(Request(tampered))).Status);
        Assert.Equal(401, Assert.Throws<RestException>(() => handler.Authenticate(Request(tampered))).Status);
        Assert.Equal(5, validations());
    }
}
