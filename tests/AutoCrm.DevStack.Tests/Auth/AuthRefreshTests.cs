using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthRefreshTests(AuthStackFixture stack)
{
    private async Task<JsonObject> RefreshOkAsync(string token)
    {
        using var response = await stack.RefreshAsync(token);
        var json = await AuthStackFixture.ReadObjectAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }

    private static string SessionOf(JsonObject session) => (string)AuthStackFixture.DecodePayload((string)session["access_token"]!)["session_id"]!;

    [Fact]
    public async Task Refresh_rotates_the_token_and_keeps_the_session()
    {
        var first = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var oldToken = (string)first["refresh_token"]!;

        var second = await RefreshOkAsync(oldToken);

        var newToken = (string)second["refresh_token"]!;
        Assert.NotEqual(oldToken, newToken);
        Assert.Equal(SessionOf(first), SessionOf(second));
        Assert.True(await stack.ScalarAsync<bool>("select revoked from auth.refresh_tokens where token = $1", oldToken));
        Assert.Equal(oldToken, await stack.ScalarAsync<string>("select parent from auth.refresh_tokens where token = $1", newToken));
        var amr = AuthStackFixture.DecodePayload((string)second["access_token"]!)["amr"]!.AsArray();
        Assert.Equal("password", (string?)amr.Single()!["method"]);
    }

    [Fact]
    public async Task Two_racing_refreshes_of_one_token_both_succeed()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var token = (string)session["refresh_token"]!;

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => stack.RefreshAsync(token)));

        foreach (var response in results)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        // Serialised by the row lock: one child was minted, the others got that same child back.
        Assert.Equal(1L, await stack.ScalarAsync<long>("select count(*) from auth.refresh_tokens where parent = $1", token));
    }

    [Fact]
    public async Task Lost_response_gets_the_current_active_child_back()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var token = (string)session["refresh_token"]!;
        var child = (string)(await RefreshOkAsync(token))["refresh_token"]!;

        stack.Clock.Advance(TimeSpan.FromSeconds(60));
        var again = await RefreshOkAsync(token);

        Assert.Equal(child, (string?)again["refresh_token"]);
    }

    [Fact]
    public async Task Reusing_an_older_token_inside_the_reuse_interval_issues_a_new_child()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var grandparent = (string)session["refresh_token"]!;
        var parent = (string)(await RefreshOkAsync(grandparent))["refresh_token"]!;
        var child = (string)(await RefreshOkAsync(parent))["refresh_token"]!;

        stack.Clock.Advance(TimeSpan.FromSeconds(5));
        var reused = await RefreshOkAsync(grandparent);

        Assert.NotEqual(child, (string?)reused["refresh_token"]);
        Assert.Equal(SessionOf(session), SessionOf(reused));
    }

    [Fact]
    public async Task Reusing_an_older_token_after_the_interval_revokes_the_session_tokens()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var sessionId = Guid.Parse(SessionOf(session));
        var grandparent = (string)session["refresh_token"]!;
        var parent = (string)(await RefreshOkAsync(grandparent))["refresh_token"]!;
        _ = await RefreshOkAsync(parent);

        stack.Clock.Advance(TimeSpan.FromSeconds(11));
        using var response = await stack.RefreshAsync(grandparent);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("refresh_token_already_used", (string?)json["error_code"]);
        Assert.Equal("Invalid Refresh Token: Already Used", (string?)json["msg"]);
        Assert.Equal(0L, await stack.ScalarAsync<long>("select count(*) from auth.refresh_tokens where session_id = $1 and revoked = false", sessionId));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(60)]
    public async Task After_reuse_is_detected_no_token_of_the_session_refreshes_again(int secondsLater)
    {
        // The attacker replays a stolen, rotated token; the victim (or the attacker) then tries the newest one.
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        var stolen = (string)session["refresh_token"]!;
        var parent = (string)(await RefreshOkAsync(stolen))["refresh_token"]!;
        var newest = (string)(await RefreshOkAsync(parent))["refresh_token"]!;
        stack.Clock.Advance(TimeSpan.FromSeconds(11));
        using (var replay = await stack.RefreshAsync(stolen))
        {
            Assert.Equal("refresh_token_already_used", (string?)(await AuthStackFixture.ReadObjectAsync(replay))["error_code"]);
        }

        stack.Clock.Advance(TimeSpan.FromSeconds(secondsLater));
        foreach (var token in new[] { newest, parent, stolen })
        {
            using var response = await stack.RefreshAsync(token);
            var json = await AuthStackFixture.ReadObjectAsync(response);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("session_expired", (string?)json["error_code"]);
        }

        Assert.Equal(0L, await stack.ScalarAsync<long>(
            "select count(*) from auth.refresh_tokens where session_id = $1 and revoked = false", Guid.Parse(SessionOf(session))));
    }

    [Fact]
    public async Task Unknown_refresh_token_is_refresh_token_not_found()
    {
        using var response = await stack.RefreshAsync("doesnotexist");
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("refresh_token_not_found", (string?)json["error_code"]);
        Assert.Equal("Invalid Refresh Token: Refresh Token Not Found", (string?)json["msg"]);
    }

    [Fact]
    public async Task Missing_refresh_token_is_an_oauth_style_error()
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/token?grant_type=refresh_token", new JsonObject());
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (string?)json["error"]);
        Assert.Equal("refresh_token required", (string?)json["error_description"]);
    }

    [Fact]
    public async Task Refresh_after_logout_is_refused()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        using var logout = await stack.SendAsync(HttpMethod.Post, "/auth/v1/logout", bearer: (string)session["access_token"]!);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        using var response = await stack.RefreshAsync((string)session["refresh_token"]!);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("refresh_token_not_found", (string?)json["error_code"]);
    }
}
