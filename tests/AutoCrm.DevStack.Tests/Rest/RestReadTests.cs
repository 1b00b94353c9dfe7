using System.Net;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Rest;

[Collection("rest")]
public sealed class RestReadTests(RestFixture fx)
{
    internal static async Task<JsonNode?> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

    internal static string Ids(JsonNode? array) => string.Join(",", array!.AsArray().Select(x => x!["id"]!.ToString()));

    private Task<HttpResponseMessage> GetAsync(string url, params (string, string)[] headers) => fx.SendAsync(HttpMethod.Get, url, headers: headers);

    [Fact]
    public async Task Select_star_returns_all_rows_as_a_json_array()
    {
        using var response = await GetAsync("rt_authors?order=id");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var body = await JsonAsync(response);
        Assert.Equal("1,2,3,4", Ids(body));
        Assert.Equal("Ursula", body![0]!["name"]!.GetValue<string>());
        Assert.Equal("0-3/*", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task Select_columns_aliases_casts_and_json_paths()
    {
        using var response = await GetAsync("rt_books?select=id,name:title,pages::text,kind:meta->>kind,stars:meta->rating->stars,meta->rating&id=eq.1");
        var row = (await JsonAsync(response))![0]!;
        Assert.Equal("A Wizard of Earthsea", row["name"]!.GetValue<string>());
        Assert.Equal("183", row["pages"]!.GetValue<string>());
        Assert.Equal("novel", row["kind"]!.GetValue<string>());
        Assert.Equal(5, row["stars"]!.GetValue<int>());
        Assert.Equal(5, row["rating"]!["stars"]!.GetValue<int>());
        Assert.Equal(6, row.AsObject().Count);
    }

    [Theory]
    [InlineData("id=eq.3", "3")]
    [InlineData("id=neq.3", "1,2,4,5")]
    [InlineData("id=gt.3", "4,5")]
    [InlineData("id=gte.3", "3,4,5")]
    [InlineData("id=lt.2", "1")]
    [InlineData("id=lte.2", "1,2")]
    [InlineData("title=like.*Dark*", "2")]
    [InlineData("title=like.%25Dark%25", "2")]
    [InlineData("title=ilike.*dark*", "2")]
    [InlineData("title=match.^S", "3")]
    [InlineData("title=imatch.^s", "3")]
    [InlineData("id=in.(1,3,5)", "1,3,5")]
    [InlineData("id=in.()", "")]
    [InlineData("pages=is.null", "5")]
    [InlineData("pages=not.is.null", "1,2,3,4")]
    [InlineData("pages=is.not_null", "1,2,3,4")]
    [InlineData("editor_id=isdistinct.1", "1,2,4,5")]
    [InlineData("tags=cs.{classic}", "1,3")]
    [InlineData("tags=cd.{scifi,classic}", "2,3,4,5")]
    [InlineData("tags=ov.{fantasy,nothing}", "1")]
    [InlineData("meta=cs.{\"kind\":\"novel\"}", "1,2,3,4")]
    [InlineData("doc=fts.planet", "2,3")]
    [InlineData("doc=fts(english).planet %26 ocean", "3")]
    [InlineData("doc=plfts.planet ocean", "3")]
    [InlineData("doc=phfts(english).time travel", "4")]
    [InlineData("doc=wfts.planet -ocean", "2")]
    [InlineData("title=fts.solaris", "3")]
    [InlineData("id=not.in.(1,2)", "3,4,5")]
    [InlineData("id=eq(any).{1,4}", "1,4")]
    [InlineData("title=like(all).{*a*,*i*}", "1,3")]
    [InlineData("title=like(any).{K*,B*}", "4,5")]
    [InlineData("meta->>kind=eq.novel", "1,2,3,4")]
    [InlineData("meta->rating->>stars=eq.5", "1,3")]
    [InlineData("id=gt.1&id=lt.4", "2,3")]
    [InlineData("published=gte.1969-01-01", "2,4")]
    public async Task Filter_operators_select_the_expected_rows(string filter, string expected)
    {
        using var response = await GetAsync($"rt_books?select=id&order=id&{filter}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, Ids(await JsonAsync(response)));
    }

    [Theory]
    [InlineData("or=(id.eq.1,id.eq.3)", "1,3")]
    [InlineData("or=(id.eq.1,and(pages.gt.250,pages.lt.280))", "1,4")]
    [InlineData("and=(id.gte.2,id.lte.3)", "2,3")]
    [InlineData("not.or=(id.eq.1,id.eq.2)", "3,4,5")]
    [InlineData("or=(id.eq.5,not.and(id.gt.1,id.lt.5))", "1,5")]
    [InlineData("or=(title.eq.\"Solaris\",id.in.(1,2))", "1,2,3")]
    [InlineData("or=(meta->>kind.eq.\"story, short\",id.eq.1)", "1,5")]
    [InlineData("or=(tags.cs.{fantasy,classic},id.eq.4)", "1,4")]
    [InlineData("or=(pages.is.null,id.not.gt.1)", "1,5")]
    public async Task Logic_trees_combine_filters(string filter, string expected)
    {
        using var response = await GetAsync($"rt_books?select=id&order=id&{filter}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, Ids(await JsonAsync(response)));
    }

    [Fact]
    public async Task In_list_values_with_commas_are_quoted()
    {
        using var response = await GetAsync("rt_books?select=id&meta->>kind=in.(\"story, short\",x)");
        Assert.Equal("5", Ids(await JsonAsync(response)));
    }

    [Theory]
    [InlineData("order=pages.desc.nullslast", "2,4,3,1,5")]
    [InlineData("order=pages.desc.nullsfirst", "5,2,4,3,1")]
    [InlineData("order=pages.asc", "1,3,4,2,5")]
    [InlineData("order=author_id.desc,id.desc", "5,4,3,2,1")]
    [InlineData("order=meta->rating->>stars.desc.nullslast,id", "1,3,2,4,5")]
    public async Task Order_sorts_with_direction_and_nulls(string order, string expected)
    {
        using var response = await GetAsync($"rt_books?select=id&{order}");
        Assert.Equal(expected, Ids(await JsonAsync(response)));
    }

    [Fact]
    public async Task Limit_and_offset_page_and_set_content_range()
    {
        using var response = await GetAsync("rt_books?select=id&order=id&limit=2&offset=1");
        Assert.Equal("2,3", Ids(await JsonAsync(response)));
        Assert.Equal("1-2/*", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task Range_header_pages_like_limit_and_offset()
    {
        using var response = await GetAsync("rt_books?select=id&order=id", ("Range", "1-3"), ("Range-Unit", "items"));
        Assert.Equal("2,3,4", Ids(await JsonAsync(response)));
    }

    [Fact]
    public async Task Range_header_with_lower_above_upper_is_416()
    {
        using var response = await GetAsync("rt_books?select=id", ("Range", "5-2"));
        Assert.Equal((HttpStatusCode)416, response.StatusCode);
        Assert.Equal("PGRST103", (await JsonAsync(response))!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Count_exact_gives_total_and_206_for_a_partial_page()
    {
        using var response = await GetAsync("rt_books?select=id&order=id&limit=2", ("Prefer", "count=exact"));
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("0-1/5", response.Content.Headers.GetValues("Content-Range").Single());
        Assert.Equal("count=exact", response.Headers.GetValues("Preference-Applied").Single());
    }

    [Fact]
    public async Task Count_exact_with_everything_returned_is_200()
    {
        using var response = await GetAsync("rt_books?select=id&author_id=eq.1", ("Prefer", "count=exact"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0-1/2", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task Count_with_an_offset_past_the_end_is_416()
    {
        using var response = await GetAsync("rt_books?offset=10", ("Prefer", "count=exact"));
        Assert.Equal((HttpStatusCode)416, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("PGRST103", body!["code"]!.GetValue<string>());
        Assert.Equal("An offset of 10 was requested, but there are only 5 rows.", body["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task Empty_result_has_star_range_and_empty_array()
    {
        using var response = await GetAsync("rt_books?id=eq.999", ("Prefer", "count=exact"));
        Assert.Equal("[]", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("*/0", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Theory]
    [InlineData("planned")]
    [InlineData("estimated")]
    public async Task Planned_and_estimated_counts_give_a_number(string count)
    {
        using var response = await GetAsync("rt_books?select=id&limit=1", ("Prefer", "count=" + count));
        var range = response.Content.Headers.GetValues("Content-Range").Single();
        Assert.Matches(@"^0-0/\d+$", range);
        Assert.Equal("count=" + count, response.Headers.GetValues("Preference-Applied").Single());
    }

    [Fact]
    public async Task Head_returns_headers_without_body()
    {
        using var response = await fx.SendAsync(HttpMethod.Head, "rt_books?select=id", headers: [("Prefer", "count=exact")]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0-4/5", response.Content.Headers.GetValues("Content-Range").Single());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Content_location_has_sorted_query_keys()
    {
        using var response = await GetAsync("rt_books?select=id&id=eq.1&author_id=eq.1");
        Assert.Equal("/rt_books?author_id=eq.1&id=eq.1&select=id", response.Content.Headers.GetValues("Content-Location").Single());
    }

    [Theory]
    [InlineData("rt_books?id=eq.1&select=id", "/rt_books?id=eq.1&select=id")]
    [InlineData("rt_books?id=gt.0&id=lt.2&select=id", "/rt_books?id=gt.0&id=lt.2&select=id")]
    [InlineData("rt_books?select=id&id=lt.2&id=gt.0", "/rt_books?id=lt.2&id=gt.0&select=id")]
    [InlineData("rt_books?&id=eq.1&&select=id&", "/rt_books?id=eq.1&select=id")]
    [InlineData("rt_books", "/rt_books")]
    public async Task Content_location_keeps_equal_keys_in_order_and_drops_empty_pairs(string url, string expected)
    {
        using var response = await GetAsync(url);
        Assert.Equal(expected, response.Content.Headers.GetValues("Content-Location").Single());
    }

    [Fact]
    public async Task Singular_accept_returns_one_object()
    {
        using var response = await GetAsync("rt_books?select=id,title&id=eq.3", ("Accept", "application/vnd.pgrst.object+json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.pgrst.object+json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("Solaris", (await JsonAsync(response))!["title"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("id=gt.1", 4)]
    [InlineData("id=eq.999", 0)]
    public async Task Singular_accept_with_other_than_one_row_is_406(string filter, int rows)
    {
        using var response = await GetAsync($"rt_books?{filter}", ("Accept", "application/vnd.pgrst.object+json"));
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("PGRST116", body!["code"]!.GetValue<string>());
        Assert.Equal($"The result contains {rows} rows", body["details"]!.GetValue<string>());
        Assert.Equal("Cannot coerce the result to a single JSON object", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Max_rows_caps_the_result()
    {
        var environment = fx.Environment;
        Assert.Equal(1000, environment.MaxRows());
        using var response = await GetAsync("rt_numbers_view?limit=5000", ("Prefer", "count=exact"));
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("0-999/1500", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task Accept_profile_selects_the_schema_and_is_echoed()
    {
        using var response = await GetAsync("rt_authors?select=id&id=eq.1", ("Accept-Profile", "public"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public", response.Headers.GetValues("Content-Profile").Single());
    }
}
