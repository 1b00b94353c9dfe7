using System.Text.Json.Nodes;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tests.Infrastructure;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class AuthContractTests : IDisposable
{
    private static readonly long FarFuture = DateTimeOffset.UtcNow.AddDays(365).ToUnixTimeSeconds();
    private readonly Stub _stub = new();
    private readonly CrmClient _crm;

    public AuthContractTests() => _crm = _stub.Client();

    public void Dispose()
    {
        _crm.Dispose();
        _stub.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task SignInAsync(string access = "user-jwt")
    {
        _stub.Reply("POST", "/auth/v1/token", 200, Json.Session(access, "refresh-1", FarFuture));
        await _crm.Auth.SignInWithPasswordAsync("carol@customer.demo", "autocrm-demo", Ct);
    }

    [Fact]
    public async Task SignIn_posts_credentials_with_the_project_key_and_keeps_the_session()
    {
        await SignInAsync();

        var request = _stub.Single();
        Assert.Equal("POST", request.Method);
        Assert.Equal("/auth/v1/token", request.Path);
        Assert.Equal("grant_type=password", request.Query);
        Assert.Equal(Stub.ApiKey, request.Header("apikey"));
        Assert.Equal("Bearer " + Stub.ApiKey, request.Header("Authorization"));
        Assert.Equal("2024-01-01", request.Header("X-Supabase-Api-Version"));
        Assert.Equal("""{"email":"carol@customer.demo","password":"autocrm-demo"}""", request.Body);
        var session = await _crm.Auth.GetSessionAsync(Ct);
        Assert.Equal("user-jwt", session!.AccessToken);
        Assert.Equal(Json.UserId, session.User!.Id);
    }

    [Fact]
    public async Task Requests_after_sign_in_carry_the_user_token()
    {
        await SignInAsync();
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[]");

        await _crm.Rest.From("tickets").ExecuteAsync(Ct);

        var request = _stub.Last();
        Assert.Equal(Stub.ApiKey, request.Header("apikey"));
        Assert.Equal("Bearer user-jwt", request.Header("Authorization"));
    }

    [Fact]
    public async Task SignUp_with_a_session_signs_in()
    {
        _stub.Reply("POST", "/auth/v1/signup", 200, Json.Session("new-jwt", "r", FarFuture));
        var changes = new List<AuthStateChange>();
        using var subscription = _crm.Auth.StateChanges.Subscribe(changes.Add);

        var result = await _crm.Auth.SignUpAsync("new@customer.demo", "secret-pw", CrmMetadata.Parse("""{"display_name":"New"}"""), Ct);

        Assert.NotNull(result.Session);
        Assert.Equal("""{"email":"new@customer.demo","password":"secret-pw","data":{"display_name":"New"}}""", _stub.Single().Body);
        Assert.Equal([AuthChangeEvent.InitialSession, AuthChangeEvent.SignedIn], changes.Select(c => c.Event));
    }

    [Fact]
    public async Task SignUp_without_confirmation_returns_the_user_only()
    {
        _stub.Reply("POST", "/auth/v1/signup", 200, Json.User("pending@customer.demo"));

        var result = await _crm.Auth.SignUpAsync("pending@customer.demo", "secret-pw", cancellationToken: Ct);

        Assert.Null(result.Session);
        Assert.Equal("pending@customer.demo", result.User.Email);
        Assert.Null(await _crm.Auth.GetSessionAsync(Ct));
    }

    [Theory]
    [InlineData(SignOutScope.Global, "global")]
    [InlineData(SignOutScope.Local, "local")]
    [InlineData(SignOutScope.Others, "others")]
    public async Task SignOut_sends_the_scope_with_the_user_token(SignOutScope scope, string text)
    {
        await SignInAsync();
        _stub.Reply("POST", "/auth/v1/logout", 204);

        await _crm.Auth.SignOutAsync(scope, Ct);

        var request = _stub.Last();
        Assert.Equal("scope=" + text, request.Query);
        Assert.Equal("Bearer user-jwt", request.Header("Authorization"));
        var session = await _crm.Auth.GetSessionAsync(Ct);
        Assert.Equal(scope == SignOutScope.Others, session is not null);
    }

    [Fact]
    public async Task SignOut_treats_an_unknown_session_as_signed_out()
    {
        await SignInAsync();
        _stub.Reply("POST", "/auth/v1/logout", 403, """{"code":"session_not_found","message":"Session from session_id claim in JWT does not exist"}""");

        await _crm.Auth.SignOutAsync(cancellationToken: Ct);

        Assert.Null(await _crm.Auth.GetSessionAsync(Ct));
    }

    [Fact]
    public async Task GetUser_and_UpdateUser_use_the_user_token()
    {
        await SignInAsync();
        _stub.Reply("GET", "/auth/v1/user", 200, Json.User());
        _stub.Reply("PUT", "/auth/v1/user", 200, Json.User());
        var changes = new List<AuthStateChange>();
        using var subscription = _crm.Auth.StateChanges.Subscribe(changes.Add);

        var user = await _crm.Auth.GetUserAsync(Ct);
        await _crm.Auth.UpdateUserAsync(new UserAttributes { Password = "n3w-secret", Data = CrmMetadata.Parse("""{"theme":"dark"}""") }, Ct);

        Assert.Equal(Json.UserId, user.Id);
        var (get, put) = (_stub.Requests[1], _stub.Requests[2]);
        Assert.Equal("Bearer user-jwt", get.Header("Authorization"));
        Assert.Equal("PUT", put.Method);
        Assert.Equal("""{"password":"n3w-secret","data":{"theme":"dark"}}""", put.Body);
        Assert.Equal([AuthChangeEvent.InitialSession, AuthChangeEvent.UserUpdated], changes.Select(c => c.Event));
    }

    [Fact]
    public async Task GetUser_without_a_session_fails_without_a_request()
    {
        var error = await Assert.ThrowsAsync<CrmAuthException>(() => _crm.Auth.GetUserAsync(Ct));

        Assert.Equal("session_missing", error.Code);
        Assert.Empty(_stub.Requests);
    }

    [Fact]
    public async Task RefreshSession_posts_the_refresh_token_with_the_project_key()
    {
        await SignInAsync();
        _stub.Server.ResetMappings();
        _stub.Reply("POST", "/auth/v1/token", 200, Json.Session("jwt-2", "refresh-2", FarFuture));

        var session = await _crm.Auth.RefreshSessionAsync(Ct);

        var request = _stub.Last();
        Assert.Equal("grant_type=refresh_token", request.Query);
        Assert.Equal("Bearer " + Stub.ApiKey, request.Header("Authorization"));
        Assert.Equal("""{"refresh_token":"refresh-1"}""", request.Body);
        Assert.Equal("jwt-2", session.AccessToken);
    }

    [Fact]
    public async Task Session_without_expires_at_gets_it_from_expires_in()
    {
        var time = Stub.FakeTime();
        using var crm = _stub.Client(time);
        _stub.Reply("POST", "/auth/v1/token", 200, """{"access_token":"a","token_type":"bearer","expires_in":3600,"refresh_token":"r","user":null}""");

        var session = await crm.Auth.SignInWithPasswordAsync("a@b.c", "pw", Ct);

        Assert.Equal(time.GetUtcNow().AddSeconds(3600), session.ExpiresAt);
    }

    [Fact]
    public async Task Admin_list_reads_total_and_next_page_from_headers()
    {
        _stub.Reply("GET", "/auth/v1/admin/users", 200, "{\"users\":[" + Json.User() + "],\"aud\":\"authenticated\"}",
            ("X-Total-Count", "120"),
            ("Link", "</admin/users?page=2&per_page=50>; rel=\"next\", </admin/users?page=3&per_page=50>; rel=\"last\""));

        var page = await _crm.Auth.Admin.ListUsersAsync(50, Ct).AsPages().FirstAsync(Ct);

        Assert.Single(page.Items);
        Assert.Equal(120, page.TotalCount);
        Assert.NotNull(page.ContinuationToken);
        var request = _stub.Single();
        Assert.Equal("page=1&per_page=50", request.Query);
        Assert.Equal("Bearer " + Stub.ApiKey, request.Header("Authorization"));
    }

    [Fact]
    public async Task Admin_calls_use_the_key_even_when_a_user_is_signed_in()
    {
        await SignInAsync();
        var id = Json.UserId;
        _stub.Reply("POST", "/auth/v1/admin/users", 200, Json.User());
        _stub.Reply("PUT", $"/auth/v1/admin/users/{id}", 200, Json.User());
        _stub.Reply("GET", $"/auth/v1/admin/users/{id}", 200, Json.User());
        _stub.Reply("DELETE", $"/auth/v1/admin/users/{id}", 200, "{}");

        await _crm.Auth.Admin.CreateUserAsync(new AdminUserAttributes { Email = "x@y.z", Password = "pw1234", EmailConfirm = true, UserMetadata = CrmMetadata.Parse("""{"display_name":"X"}""") }, Ct);
        await _crm.Auth.Admin.UpdateUserAsync(id, new AdminUserAttributes { BanDuration = "24h" }, Ct);
        await _crm.Auth.Admin.GetUserAsync(id, Ct);
        await _crm.Auth.Admin.DeleteUserAsync(id, cancellationToken: Ct);

        var requests = _stub.Requests.Skip(1).ToList();
        Assert.All(requests, r => Assert.Equal("Bearer " + Stub.ApiKey, r.Header("Authorization")));
        Assert.Equal("""{"email":"x@y.z","password":"pw1234","email_confirm":true,"user_metadata":{"display_name":"X"}}""", requests[0].Body);
        Assert.Equal("""{"ban_duration":"24h"}""", requests[1].Body);
        Assert.Equal("GET", requests[2].Method);
        Assert.Equal("DELETE", requests[3].Method);
        Assert.Equal("""{"should_soft_delete":false}""", requests[3].Body);
    }

    [Fact]
    public async Task ForUser_sends_the_given_token_and_WithSession_the_session_token()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[]");
        var session = new Session { AccessToken = "session-jwt", RefreshToken = "r", ExpiresAt = DateTimeOffset.UtcNow.AddHours(1) };

        await _crm.ForUser("fixed-jwt").Rest.From("tickets").ExecuteAsync(Ct);
        await _crm.WithSession(session).Rest.From("tickets").ExecuteAsync(Ct);
        await _crm.Rest.From("tickets").ExecuteAsync(Ct);

        Assert.Equal(["Bearer fixed-jwt", "Bearer session-jwt", "Bearer " + Stub.ApiKey], _stub.Requests.Select(r => r.Header("Authorization")));
    }
}
