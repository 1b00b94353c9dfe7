using System.Net;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

[Collection("rest")]
public sealed class RestEmbeddingTests(RestFixture fx)
{
    private Task<HttpResponseMessage> GetAsync(string url) => fx.SendAsync(HttpMethod.Get, url);

    [Fact]
    public async Task To_one_embed_is_an_object_or_null()
    {
        using var response = await GetAsync("rt_books?select=id,writer:rt_authors!author_id(name)&id=in.(1,5)&order=id");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await JsonAsync(response))!.AsArray();
        Assert.Equal("Ursula", body[0]!["writer"]!["name"]!.GetValue<string>());
        Assert.Equal("Octavia", body[1]!["writer"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task To_one_embed_without_a_match_is_null()
    {
        using var response = await GetAsync("rt_books?select=id,rt_authors!editor_id(name)&id=eq.2");
        var body = (await JsonAsync(response))!.AsArray();
        Assert.Null(body[0]!["rt_authors"]);
        Assert.True(body[0]!.AsObject().ContainsKey("rt_authors"));
    }

    [Fact]
    public async Task To_many_embed_is_an_array_with_filters_order_and_limit()
    {
        using var response = await GetAsync("rt_authors?select=id,rt_books!author_id(id,title)&id=eq.1&rt_books.order=id.desc&rt_books.limit=1");
        var books = (await JsonAsync(response))![0]!["rt_books"]!.AsArray();
        Assert.Single(books);
        Assert.Equal(2, books[0]!["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task To_many_embed_without_children_is_an_empty_array()
    {
        using var response = await GetAsync("rt_authors?select=id,rt_books!author_id(id)&id=eq.4");
        Assert.Empty((await JsonAsync(response))![0]!["rt_books"]!.AsArray());
    }

    [Fact]
    public async Task Embedded_filter_narrows_children_only()
    {
        using var response = await GetAsync("rt_authors?select=id,rt_books!author_id(id)&rt_books.pages=gt.200&order=id");
        var body = (await JsonAsync(response))!.AsArray();
        Assert.Equal(4, body.Count);
        Assert.Equal("2", Ids(body[0]!["rt_books"]));
    }

    [Fact]
    public async Task Inner_embed_filters_parents()
    {
        using var response = await GetAsync("rt_authors?select=id,rt_books!author_id!inner(id)&rt_books.title=eq.Solaris");
        Assert.Equal("2", Ids(await JsonAsync(response)));
    }

    [Fact]
    public async Task Inner_embed_applies_to_the_exact_count()
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "rt_authors?select=id,b:rt_books!author_id!inner(id)&b.pages=gt.250", headers: [("Prefer", "count=exact")]);
        Assert.Equal("1,3", Ids(await JsonAsync(response)));
        Assert.EndsWith("/2", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task Embeds_nest_two_levels_deep()
    {
        using var response = await GetAsync("rt_reviews?select=stars,book:rt_books(title,author:rt_authors!author_id(name,rt_books!author_id(id)))&id=eq.1");
        var row = (await JsonAsync(response))![0]!;
        Assert.Equal("Ursula", row["book"]!["author"]!["name"]!.GetValue<string>());
        Assert.Equal("1,2", Ids(row["book"]!["author"]!["rt_books"]));
    }

    [Fact]
    public async Task Nested_embed_modifiers_use_the_embed_path()
    {
        using var response = await GetAsync("rt_authors?select=id,books:rt_books!author_id(id,reviews:rt_reviews(stars))&id=eq.1&books.reviews.stars=eq.5&books.order=id");
        var books = (await JsonAsync(response))![0]!["books"]!.AsArray();
        Assert.Single(books[0]!["reviews"]!.AsArray());
        Assert.Empty(books[1]!["reviews"]!.AsArray());
    }

    [Fact]
    public async Task Spread_embed_lifts_columns_into_the_parent()
    {
        using var response = await GetAsync("rt_books?select=id,...rt_authors!author_id(author_name:name,country)&id=eq.3");
        var row = (await JsonAsync(response))![0]!;
        Assert.Equal("Stanislaw", row["author_name"]!.GetValue<string>());
        Assert.Equal("PL", row["country"]!.GetValue<string>());
    }

    [Fact]
    public async Task Embedding_by_constraint_name_hint()
    {
        using var response = await GetAsync("rt_books?select=id,rt_authors!rt_books_editor_id_fkey(name)&id=eq.1");
        Assert.Equal("Octavia", (await JsonAsync(response))![0]!["rt_authors"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ambiguous_embed_is_300_PGRST201()
    {
        using var response = await GetAsync("rt_books?select=id,rt_authors(name)");
        Assert.Equal(HttpStatusCode.MultipleChoices, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("PGRST201", body!["code"]!.GetValue<string>());
        Assert.Contains("more than one relationship was found for 'rt_books' and 'rt_authors'", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unrelated_embed_is_400_PGRST200()
    {
        using var response = await GetAsync("rt_authors?select=id,rt_notes(id)");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("PGRST200", body!["code"]!.GetValue<string>());
        Assert.Equal("Could not find a relationship between 'rt_authors' and 'rt_notes' in the schema cache", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Filter_on_a_resource_not_embedded_is_PGRST108()
    {
        using var response = await GetAsync("rt_authors?select=id&rt_books.id=eq.1");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("PGRST108", (await JsonAsync(response))!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Order_by_a_to_one_embed_column()
    {
        using var response = await GetAsync("rt_books?select=id,a:rt_authors!author_id(name)&order=a(name).desc,id&id=in.(1,3,4)");
        Assert.Equal("1,3,4", Ids(await JsonAsync(response)));
    }

    [Fact]
    public async Task Or_inside_an_embed_applies_to_the_children()
    {
        using var response = await GetAsync("rt_authors?select=id,rt_books!author_id(id)&id=eq.1&rt_books.or=(id.eq.2,id.eq.9)");
        Assert.Equal("2", Ids((await JsonAsync(response))![0]!["rt_books"]));
    }
}
