using System.Net;
using System.Text.Json.Nodes;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

[Collection("rest")]
public sealed class RestErrorTests(RestFixture fx)
{
    private async Task<(HttpStatusCode Status, JsonNode Body, HttpResponseMessage Response)> ErrorAsync(HttpMethod method, string url, string? body = null, string? token = null, params (string, string)[] headers)
    {
        var response = await fx.SendAsync(method, url, body, token, headers);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var json = (await JsonAsync(response))!;
        Assert.True(json.AsObject().ContainsKey("code") && json.AsObject().ContainsKey("message") && json.AsObject().ContainsKey("details") && json.AsObject().ContainsKey("hint"));
        return (response.StatusCode, json, response);
    }

    [Fact]
    public async Task Filter_without_operator_is_PGRST100_with_position()
    {
        var (status, body, response) = await ErrorAsync(HttpMethod.Get, "rt_books?id=val");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("PGRST100", body["code"]!.GetValue<string>());
        Assert.Equal("\"failed to parse filter (val)\" (line 1, column 1)", body["message"]!.GetValue<string>());
        Assert.Equal("unexpected \"v\" expecting \"not\" or operator (eq, gt, ...)", body["details"]!.GetValue<string>());
        Assert.Equal("PostgREST; error=PGRST100", response.Headers.GetValues("Proxy-Status").Single());
    }

    [Theory]
    [InlineData("rt_books?select=id,(")]
    [InlineData("rt_books?select=id,rt_authors!author_id(name")]
    [InlineData("rt_books?or=(id.eq.1")]
    [InlineData("rt_books?or=id.eq.1")]
    [InlineData("rt_books?id=in.(1,2")]
    [InlineData("rt_books?id=in.(\"a\"b)")]
    [InlineData("rt_books?id=is.maybe")]
    [InlineData("rt_books?order=id.sideways")]
    [InlineData("rt_books?limit=ten")]
    [InlineData("rt_books?offset=-1")]
    [InlineData("rt_books?id=eq(some).{1}")]
    [InlineData("rt_books?and=(id.eq.1,or(id.eq.2)")]
    public async Task Malformed_query_strings_are_PGRST100(string url)
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, url);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("PGRST100", body["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Aggregates_are_disabled_PGRST123()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_books?select=count()");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("PGRST123", body["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_table_is_404_PGRST205_with_hint()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_book");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("PGRST205", body["code"]!.GetValue<string>());
        Assert.Equal("Could not find the table 'public.rt_book' in the schema cache", body["message"]!.GetValue<string>());
        Assert.Equal("Perhaps you meant the table 'public.rt_books'", body["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_column_is_400_42703()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_books?select=nope");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("42703", body["code"]!.GetValue<string>());
        Assert.Equal("column rt_books.nope does not exist", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bad_value_for_a_filter_is_400_22P02()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_books?id=eq.abc");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("22P02", body["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_schema_is_406_PGRST106()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_books", headers: ("Accept-Profile", "secret"));
        Assert.Equal(HttpStatusCode.NotAcceptable, status);
        Assert.Equal("PGRST106", body["code"]!.GetValue<string>());
        Assert.Equal("Invalid schema: secret", body["message"]!.GetValue<string>());
        Assert.Equal("Only the following schemas are exposed: public, graphql_public", body["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unsupported_accept_is_406_PGRST107()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_books", headers: ("Accept", "application/xml"));
        Assert.Equal(HttpStatusCode.NotAcceptable, status);
        Assert.Equal("PGRST107", body["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Strict_handling_refuses_unknown_preferences_PGRST122()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_books", headers: ("Prefer", "handling=strict, bogus=1"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("PGRST122", body["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_path_is_404()
    {
        var (status, _, _) = await ErrorAsync(HttpMethod.Get, "rt_books/1/2");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Bad_signature_is_401_PGRST301_with_www_authenticate()
    {
        var token = RestFixture.ServiceToken[..^2] + "xx";
        var (status, body, response) = await ErrorAsync(HttpMethod.Get, "rt_books", token: token);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("PGRST301", body["code"]!.GetValue<string>());
        Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_token_is_401_PGRST303()
    {
        var token = RestFixture.Token(new JsonObject { ["role"] = "authenticated", ["exp"] = 1000 });
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_books", token: token);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("PGRST303", body["code"]!.GetValue<string>());
        Assert.Equal("JWT expired", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Empty_bearer_is_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "rt_books");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer ");
        using var response = await fx.Client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Role_that_does_not_exist_is_401()
    {
        var token = RestFixture.Token(new JsonObject { ["role"] = "ghost", ["exp"] = 4102444800 });
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_books", token: token);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("role \"ghost\" does not exist", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_without_role_runs_as_anon()
    {
        var token = RestFixture.Token(new JsonObject { ["sub"] = "x", ["exp"] = 4102444800 });
        using var response = await fx.SendAsync(HttpMethod.Get, "rpc/rt_whoami", token: token);
        Assert.Equal("anon", (await JsonAsync(response))!["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Permission_denied_is_401_for_anon()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Get, "rt_private");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("42501", body["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rls_violation_is_403_for_an_authenticated_user()
    {
        var (status, body, _) = await ErrorAsync(HttpMethod.Post, "rt_private", $$"""{"owner":"{{Guid.NewGuid()}}","secret":"s"}""", RestFixture.UserToken(Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("42501", body["code"]!.GetValue<string>());
        Assert.StartsWith("new row violates row-level security policy", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rls_hides_other_users_rows()
    {
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        using var insert = await fx.SendAsync(HttpMethod.Post, "rt_private", """{"secret":"alice's"}""", RestFixture.UserToken(alice));
        Assert.Equal(HttpStatusCode.Created, insert.StatusCode);
        using var mine = await fx.SendAsync(HttpMethod.Get, "rt_private?select=secret", token: RestFixture.UserToken(alice));
        Assert.Equal("""[{"secret":"alice's"}]""", await mine.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var theirs = await fx.SendAsync(HttpMethod.Get, "rt_private?select=secret", token: RestFixture.UserToken(bob));
        Assert.Equal("[]", await theirs.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var delete = await fx.SendAsync(HttpMethod.Delete, "rt_private?secret=eq.alice's", token: RestFixture.UserToken(bob));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(1, await fx.ScalarAsync($"select count(*) from rt_private where owner = '{alice}'"));
    }

    [Fact]
    public async Task Service_role_bypasses_rls()
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "rt_private?select=id&limit=1", token: RestFixture.ServiceToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
