using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Auth;

[Collection(AuthCollection.Name)]
public sealed class AuthLogoutTests(AuthStackFixture stack)
{
    private async Task<(string Email, JsonObject A, JsonObject B, JsonObject C)> ThreeSessionsAsync()
    {
        var email = AuthStackFixture.UniqueEmail();
        var a = await stack.SignUpAsync(email);
        var b = await stack.SignInAsync(email);
        var c = await stack.SignInAsync(email);
        return (email, a, b, c);
    }

    private async Task<HttpStatusCode> UserStatusAsync(JsonObject session)
    {
        using var response = await stack.SendAsync(HttpMethod.Get, "/auth/v1/user", bearer: (string)session["access_token"]!);
        return response.StatusCode;
    }

    private async Task LogoutAsync(JsonObject session, string query)
    {
        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/logout" + query, bearer: (string)session["access_token"]!);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Global_logout_is_the_default_and_ends_every_session()
    {
        var (_, a, b, c) = await ThreeSessionsAsync();

        await LogoutAsync(a, string.Empty);

        Assert.Equal(HttpStatusCode.Forbidden, await UserStatusAsync(a));
        Assert.Equal(HttpStatusCode.Forbidden, await UserStatusAsync(b));
        Assert.Equal(HttpStatusCode.Forbidden, await UserStatusAsync(c));
    }

    [Fact]
    public async Task Local_logout_ends_only_the_current_session()
    {
        var (_, a, b, c) = await ThreeSessionsAsync();

        await LogoutAsync(a, "?scope=local");

        Assert.Equal(HttpStatusCode.Forbidden, await UserStatusAsync(a));
        Assert.Equal(HttpStatusCode.OK, await UserStatusAsync(b));
        Assert.Equal(HttpStatusCode.OK, await UserStatusAsync(c));
    }

    [Fact]
    public async Task Others_logout_keeps_only_the_current_session()
    {
        var (_, a, b, c) = await ThreeSessionsAsync();

        await LogoutAsync(a, "?scope=others");

        Assert.Equal(HttpStatusCode.OK, await UserStatusAsync(a));
        Assert.Equal(HttpStatusCode.Forbidden, await UserStatusAsync(b));
        Assert.Equal(HttpStatusCode.Forbidden, await UserStatusAsync(c));
        using var refresh = await stack.RefreshAsync((string)b["refresh_token"]!);
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
    }

    [Fact]
    public async Task Unknown_scope_is_400_validation_failed()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());

        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/logout?scope=everything", bearer: (string)session["access_token"]!, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("validation_failed", (string?)json["code"]);
        Assert.Equal("Unsupported logout scope \"everything\"", (string?)json["message"]);
        Assert.Equal(HttpStatusCode.OK, await UserStatusAsync(session));
    }

    [Fact]
    public async Task Logout_of_an_ended_session_is_403_session_not_found()
    {
        var session = await stack.SignUpAsync(AuthStackFixture.UniqueEmail());
        await LogoutAsync(session, "?scope=global");

        using var response = await stack.SendAsync(HttpMethod.Post, "/auth/v1/logout", bearer: (string)session["access_token"]!, apiVersion2024: true);
        var json = await AuthStackFixture.ReadObjectAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("session_not_found", (string?)json["code"]);
    }
}
