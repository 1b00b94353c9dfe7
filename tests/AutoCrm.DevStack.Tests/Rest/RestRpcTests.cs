using System.Net;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

[Collection("rest")]
public sealed class RestRpcTests(RestFixture fx)
{
    private async Task<(HttpResponseMessage Response, string Body)> CallAsync(HttpMethod method, string url, string? body = null, string? token = null)
    {
        var response = await fx.SendAsync(method, url, body, token);
        return (response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Post_with_named_arguments_returns_a_scalar()
    {
        var (response, body) = await CallAsync(HttpMethod.Post, "rpc/rt_add", """{"a":2,"b":3}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("5", body);
    }

    [Fact]
    public async Task Get_with_query_arguments_returns_a_scalar()
    {
        var (response, body) = await CallAsync(HttpMethod.Get, "rpc/rt_add?a=4&b=5");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("9", body);
    }

    [Fact]
    public async Task Omitted_argument_takes_its_default()
    {
        var (_, body) = await CallAsync(HttpMethod.Post, "rpc/rt_hello", "{}");
        Assert.Equal("\"hello world\"", body);
    }

    [Fact]
    public async Task Setof_table_function_supports_select_filters_and_order()
    {
        var (response, body) = await CallAsync(HttpMethod.Post, "rpc/rt_books_by?select=id,title&pages=gt.200&order=id.desc", """{"author":1}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""[{"id":2,"title":"The Left Hand of Darkness"}]""", body);
    }

    [Fact]
    public async Task Setof_table_function_supports_embedding()
    {
        var (_, body) = await CallAsync(HttpMethod.Get, "rpc/rt_books_by?author=2&select=id,rt_reviews(stars)");
        Assert.Equal("""[{"id":3,"rt_reviews":[{"stars":5}]}]""", body);
    }

    [Fact]
    public async Task Single_composite_returns_an_object()
    {
        var (_, body) = await CallAsync(HttpMethod.Post, "rpc/rt_author_of", """{"book":3}""");
        Assert.Equal("""{"id":2,"name":"Stanislaw","country":"PL"}""", body);
    }

    [Fact]
    public async Task Setof_scalar_returns_an_array_of_values()
    {
        var (_, body) = await CallAsync(HttpMethod.Get, "rpc/rt_numbers?n=3");
        Assert.Equal("[1, 2, 3]", body);
    }

    [Fact]
    public async Task Returns_table_gives_objects()
    {
        var (_, body) = await CallAsync(HttpMethod.Post, "rpc/rt_pair", """{"x":7}""");
        Assert.Equal("""[{"a":7,"b":"v7"}]""", body);
    }

    [Fact]
    public async Task Single_unnamed_json_parameter_receives_the_whole_body()
    {
        var (_, body) = await CallAsync(HttpMethod.Post, "rpc/rt_echo", """{"any":[1,2],"thing":true}""");
        Assert.Equal("""{"any": [1, 2], "thing": true}""", body);
    }

    [Fact]
    public async Task Void_function_is_204_and_writes()
    {
        var owner = "rpc" + Guid.NewGuid().ToString("N")[..8];
        var (response, body) = await CallAsync(HttpMethod.Post, "rpc/rt_touch", $$"""{"owner":"{{owner}}"}""");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(body);
        Assert.Equal(1, await fx.ScalarAsync($"select count(*) from rt_notes where owner = '{owner}'"));
    }

    [Fact]
    public async Task Volatile_function_through_get_is_405_read_only()
    {
        var (response, body) = await CallAsync(HttpMethod.Get, "rpc/rt_write_in_get");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("25006", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Raise_exception_is_400_P0001_with_detail_and_hint()
    {
        var (response, body) = await CallAsync(HttpMethod.Post, "rpc/rt_fail", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"code":"P0001","details":"it failed","hint":"do not","message":"boom"}""", body);
    }

    [Fact]
    public async Task Function_can_set_status_and_headers()
    {
        var (response, body) = await CallAsync(HttpMethod.Post, "rpc/rt_teapot", "{}");
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("earl grey", response.Headers.GetValues("X-Tea").Single());
        Assert.Equal("1", body);
    }

    [Fact]
    public async Task Unknown_function_is_404_PGRST202()
    {
        var (response, body) = await CallAsync(HttpMethod.Post, "rpc/rt_nope", """{"b":1,"a":2}""");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = System.Text.Json.Nodes.JsonNode.Parse(body)!;
        Assert.Equal("PGRST202", error["code"]!.GetValue<string>());
        Assert.Equal("Could not find the function public.rt_nope(a, b) in the schema cache", error["message"]!.GetValue<string>());
        Assert.Equal("Searched for the function public.rt_nope with parameters a, b or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.", error["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wrong_arguments_is_404_PGRST202_with_a_hint()
    {
        var (response, body) = await CallAsync(HttpMethod.Post, "rpc/rt_add", """{"x":1}""");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = System.Text.Json.Nodes.JsonNode.Parse(body)!;
        Assert.Equal("Could not find the function public.rt_add(x) in the schema cache", error["message"]!.GetValue<string>());
        Assert.Equal("Perhaps you meant to call the function public.rt_add(a, b)", error["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Function_without_parameters_message()
    {
        var (_, body) = await CallAsync(HttpMethod.Post, "rpc/rt_nothing_here", "{}");
        Assert.Contains("Could not find the function public.rt_nothing_here without parameters in the schema cache", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rpc_with_patch_is_405_PGRST101()
    {
        var (response, body) = await CallAsync(HttpMethod.Patch, "rpc/rt_add", "{}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("PGRST101", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_settings_are_visible_to_sql()
    {
        var sub = Guid.NewGuid();
        var response = await fx.SendAsync(HttpMethod.Post, "rpc/rt_whoami", "{}", RestFixture.UserToken(sub), ("X-Test", "yes"));
        var who = await JsonAsync(response);
        Assert.Equal("authenticated", who!["role"]!.GetValue<string>());
        Assert.Equal(sub.ToString(), who["claims"]!["sub"]!.GetValue<string>());
        Assert.Equal(sub.ToString(), who["sub"]!.GetValue<string>());
        Assert.Equal("POST", who["method"]!.GetValue<string>());
        Assert.Equal("/rpc/rt_whoami", who["path"]!.GetValue<string>());
        Assert.Equal("yes", who["ua"]!.GetValue<string>());
        // PostgREST sets the schema, then db-extra-search-path as configured, repeating a schema listed in both.
        Assert.Equal("\"public\", \"public\", \"extensions\"", who["search_path"]!.GetValue<string>());
        Assert.Equal("on", who["read_only"]!.GetValue<string>());
    }

    [Fact]
    public async Task Anonymous_requests_run_as_anon_with_role_claim()
    {
        var who = await JsonAsync(await fx.SendAsync(HttpMethod.Get, "rpc/rt_whoami"));
        Assert.Equal("anon", who!["role"]!.GetValue<string>());
        Assert.Equal("""{"role":"anon"}""", who["claims"]!.ToJsonString());
    }
}
