using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>
/// Attacks that try to give the SQL another shape through request text that becomes SQL text (casts, aliases,
/// JSON paths, embed names): each is refused with a 4xx and nothing of the attacker's SQL runs.
/// </summary>
[Collection("rest")]
public sealed class RestInjectionTests(RestFixture fx)
{
    private static async Task<JsonNode?> ErrorAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

    [Theory]
    [InlineData("rt_authors?select=name::text from pg_settings t0 union all select name")]
    [InlineData("rt_authors?select=name::text from pg_settings t0 cross join pg_settings t1 cross join pg_settings t2 union all select name")]
    [InlineData("rt_authors?select=name::text from pg_stat_user_tables t0 union all select name")]
    [InlineData("rt_authors?select=id,name::text%20from%20pg_settings%20t0%20union%20all%20select%20name")]
    [InlineData("rt_authors?select=name::int limit 0 union select 1")]
    [InlineData("rt_authors?select=name::text collate C")]
    [InlineData("rt_authors?select=name::1text")]
    [InlineData("rt_authors?select=name::$1")]
    public async Task A_cast_that_is_not_a_type_name_is_refused_with_PGRST100(string url)
    {
        foreach (var token in new[] { null, RestFixture.UserToken(Guid.NewGuid()) })
        {
            using var response = await fx.SendAsync(HttpMethod.Get, url, token: token);
            var body = await ErrorAsync(response);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("PGRST100", body!["code"]!.GetValue<string>());
            Assert.StartsWith("\"failed to parse select parameter", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Type_names_still_cast_including_keyword_types_and_json_paths()
    {
        using var response = await fx.SendAsync(HttpMethod.Get,
            "rt_books?select=id::text,pages::double precision,kind:meta->>kind::varchar,stars:meta->rating->>stars::INT,published::timestamp with time zone,p:pages::numeric,t:tags::_text&id=eq.1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = (await ErrorAsync(response))![0]!;
        Assert.Equal("1", row["id"]!.GetValue<string>());
        Assert.Equal(183d, row["pages"]!.GetValue<double>());
        Assert.Equal("novel", row["kind"]!.GetValue<string>());
        Assert.Equal(5, row["stars"]!.GetValue<int>());
        Assert.StartsWith("1968-11-01T00:00:00", row["published"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("fantasy", row["t"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_cast_to_a_type_that_does_not_exist_is_a_400_from_postgres()
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "rt_books?select=id::no_such_type");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("42704", (await ErrorAsync(response))!["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("rt_authors?select=%22a%00b%22:name&id=eq.1", "a")]
    [InlineData("rt_authors?select=%22a%00%5C%22)%20from%20pg_settings--%22:name&id=eq.1", "a")]
    [InlineData("rt_books?select=%22x%00%22:rt_authors!author_id(name)&id=eq.1", "x")]
    [InlineData("rt_books?select=k:meta->>%22k%22&id=eq.1", "k")]
    public async Task A_nul_in_a_name_ends_the_name_as_in_PostgREST_and_cannot_cut_the_statement(string url, string key)
    {
        using var response = await fx.SendAsync(HttpMethod.Get, url);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal([key], JsonNode.Parse(text)![0]!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("rt_books?select=id&meta->>a%00=eq.1")]
    [InlineData("rt_books?select=meta->>%22k%00%22")]
    [InlineData("rt_books?select=id&title=fts(eng%00lish).x")]
    [InlineData("rt_books?select=id&order=meta->>a%00")]
    public async Task A_nul_in_a_value_is_a_400(string url)
    {
        using var response = await fx.SendAsync(HttpMethod.Get, url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("GET", "rt_books?select=id", "Accept-Profile", "public\", \"auth", 406)]
    [InlineData("GET", "rt_books?select=id", "Accept-Profile", "auth", 406)]
    [InlineData("POST", "rt_notes", "Content-Profile", "pg_catalog", 406)]
    [InlineData("GET", "rt_private?select=id", "Prefer", "timezone=UTC', true), set_config('role', 'service_role", 401)]
    [InlineData("GET", "rt_books?select=id,rt_authors!author_id%22)%20from%20pg_settings--(name)", null, null, 400)]
    [InlineData("GET", "rt_books?select=id,...rt_authors!author_id;select(name)", null, null, 400)]
    [InlineData("GET", "rt_books?select=id&order=id.desc;select%201", null, null, 400)]
    [InlineData("GET", "rt_books?select=id&order=id.desc%20nulls%20first,(select%201)", null, null, 400)]
    [InlineData("GET", "rt_books?select=id&title=fts(english')::regconfig,%20'x').x", null, null, 400)]
    [InlineData("GET", "rpc/rt_hello%22(),pg_sleep(1)--", null, null, 404)]
    [InlineData("POST", "rt_notes?on_conflict=owner)%20do%20nothing;--", null, null, 400)]
    [InlineData("POST", "rt_notes?columns=owner,%22body%22%22)%20select%201--%22", null, null, 400)]
    public async Task Request_text_that_reaches_sql_names_only_what_the_schema_has(string method, string url, string? header, string? value, int status)
    {
        var before = await fx.ScalarAsync("select count(*) from rt_notes");
        var headers = header is null ? Array.Empty<(string, string)>() : [(header, value!)];
        using var response = await fx.SendAsync(new HttpMethod(method), url, method == "POST" ? "{\"owner\":\"inj\",\"body\":\"x\"}" : null, token: null, headers: headers);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode} {text}");
        Assert.Equal(before, await fx.ScalarAsync("select count(*) from rt_notes"));
    }
}
