using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthJwtTests(AuthStackFixture stack)
{
    private async Task<(HttpStatusCode Status, JsonObject Body)> GetUserAsync(string? bearer)
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: bearer, apiVersion2024: true);
        return (response.StatusCode, await AuthStackFixture.ReadObjectAsync(response));
    }

    private async Task<(JsonObject Session, JsonObject Claims)> NewSessionAsync()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        return (session, AuthStackFixture.DecodePayload((string)session["access_token"]!));
    }

    [Fact]
    public async Task No_bearer_token_is_401_no_authorization()
    {
        var (status, body) = await GetUserAsync(null);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("no_authorization", (string?)body["code"]);
        Assert.Equal("This endpoint requires a valid Bearer token", (string?)body["message"]);
    }

    [Fact]
    public async Task Anon_key_on_user_is_403_bad_jwt_missing_sub()
    {
        var (status, body) = await GetUserAsync(stack.Server.AnonKey);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("bad_jwt", (string?)body["code"]);
        Assert.Equal("invalid claim: missing sub claim", (string?)body["message"]);
    }

    [Fact]
    public async Task Altered_payload_is_403_bad_jwt()
    {
        var (session, claims) = await NewSessionAsync();
        var parts = ((string)session["access_token"]!).Split('.');
        claims["role"] = "service_role";
        var forged = parts[0] + "." + Convert.ToBase64String(Encoding.UTF8.GetBytes(claims.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + parts[2];

        var (status, body) = await GetUserAsync(forged);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("bad_jwt", (string?)body["code"]);
        Assert.StartsWith("invalid JWT: unable to parse or verify signature, ", (string?)body["message"]);
    }

    [Fact]
    public async Task Token_signed_with_another_key_is_403_bad_jwt()
    {
        var (_, claims) = await NewSessionAsync();

        var (status, body) = await GetUserAsync(AuthStackFixture.SignJwt(claims, "another-secret-that-is-at-least-32-characters"));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("bad_jwt", (string?)body["code"]);
    }

    [Fact]
    public async Task Alg_none_is_403_bad_jwt()
    {
        var (_, claims) = await NewSessionAsync();

        var (status, body) = await GetUserAsync(AuthStackFixture.SignJwt(claims, alg: "none"));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("bad_jwt", (string?)body["code"]);
    }

    [Fact]
    public async Task Expired_token_is_403_bad_jwt_even_within_postgrest_clock_skew()
    {
        var (_, claims) = await NewSessionAsync();
        var now = stack.Clock.GetUtcNow().ToUnixTimeSeconds();
        claims["iat"] = now - 3605;
        claims["exp"] = now - 5;

        var (status, body) = await GetUserAsync(AuthStackFixture.SignJwt(claims));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("bad_jwt", (string?)body["code"]);
        Assert.Contains("token is expired", (string?)body["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_expires_when_the_clock_passes_exp()
    {
        var (session, _) = await NewSessionAsync();
        var token = (string)session["access_token"]!;
        Assert.Equal(HttpStatusCode.OK, (await GetUserAsync(token)).Status);

        stack.Clock.Advance(TimeSpan.FromSeconds(3601));
        var (status, body) = await GetUserAsync(token);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("bad_jwt", (string?)body["code"]);
    }

    [Fact]
    public async Task Token_without_sub_is_403_bad_jwt()
    {
        var (_, claims) = await NewSessionAsync();
        claims.Remove("sub");

        var (status, body) = await GetUserAsync(AuthStackFixture.SignJwt(claims));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("invalid claim: missing sub claim", (string?)body["message"]);
    }

    [Fact]
    public async Task Token_without_role_is_refused_by_admin_endpoints()
    {
        var (_, claims) = await NewSessionAsync();
        claims.Remove("role");

        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/admin/users", bearer: AuthStackFixture.SignJwt(claims), apiVersion2024: true);
        var body = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("not_admin", (string?)body["code"]);
    }

    [Fact]
    public async Task Sub_that_is_not_a_uuid_is_bad_jwt()
    {
        var (_, claims) = await NewSessionAsync();
        claims["sub"] = "not-a-uuid";

        var (status, body) = await GetUserAsync(AuthStackFixture.SignJwt(claims));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("bad_jwt", (string?)body["code"]);
    }

    [Fact]
    public async Task Garbage_bearer_is_bad_jwt_not_a_500()
    {
        foreach (var garbage in new[] { "x", "a.b.c", "...", "eyJ.eyJ.sig", new string('a', 5000) })
        {
            var (status, body) = await GetUserAsync(garbage);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal("bad_jwt", (string?)body["code"]);
        }
    }
}
