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
    public async Task Ambiguous_embed_details_are_a_list_of_relationships()
    {
        using var response = await GetAsync("rt_books?select=id,rt_authors(name)");
        var body = (await JsonAsync(response))!;
        var details = body["details"]!.AsArray();
        // Two foreign keys of rt_books, and rt_reading, a junction between the same two tables.
        Assert.Equal(3, details.Count);
        Assert.Contains(details, d => d!.ToJsonString() == "{\"cardinality\":\"many-to-one\",\"embedding\":\"rt_books with rt_authors\",\"relationship\":\"rt_books_author_id_fkey using rt_books(author_id) and rt_authors(id)\"}");
        Assert.Contains(details, d => d!.ToJsonString() == "{\"cardinality\":\"many-to-many\",\"embedding\":\"rt_books with rt_authors\",\"relationship\":\"rt_reading using rt_reading_book_id_fkey(book_id) and rt_reading_author_id_fkey(author_id)\"}");
        Assert.Equal("Try changing 'rt_authors' to one of the following: 'rt_authors!rt_books_author_id_fkey', 'rt_authors!rt_books_editor_id_fkey', 'rt_authors!rt_reading'. Find the desired relationship in the 'details' key.", body["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Many_to_many_embeds_through_a_junction_table()
    {
        using var response = await GetAsync("rt_books?select=id,rt_tags(name)&id=in.(1,2,3)&order=id&rt_tags.order=name");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await JsonAsync(response))!.AsArray();
        Assert.Equal("[{\"name\":\"classic\"},{\"name\":\"magic\"}]", body[0]!["rt_tags"]!.ToJsonString());
        Assert.Empty(body[1]!["rt_tags"]!.AsArray());
        Assert.Equal("[{\"name\":\"classic\"},{\"name\":\"space\"}]", body[2]!["rt_tags"]!.ToJsonString());
    }

    [Fact]
    public async Task Many_to_many_works_from_the_other_side_too()
    {
        using var response = await GetAsync("rt_tags?select=name,books:rt_books(id)&id=eq.2&books.order=id.desc");
        Assert.Equal("3,1", Ids((await JsonAsync(response))![0]!["books"]));
    }

    [Fact]
    public async Task Many_to_many_inner_embed_with_a_filter_narrows_parents()
    {
        using var response = await GetAsync("rt_books?select=id,rt_tags!inner(name)&rt_tags.name=eq.space");
        Assert.Equal("3", Ids(await JsonAsync(response)));
    }

    [Fact]
    public async Task Junction_hint_picks_the_many_to_many_among_foreign_keys()
    {
        using var response = await GetAsync("rt_authors?select=id,read:rt_books!rt_reading(id)&order=id&read.order=id");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await JsonAsync(response))!.AsArray();
        Assert.Equal("3", Ids(body[0]!["read"]));
        Assert.Equal("1,4", Ids(body[1]!["read"]));
        Assert.Empty(body[3]!["read"]!.AsArray());
    }

    [Fact]
    public async Task Ambiguous_many_to_many_is_PGRST201_with_its_junction_in_details_and_hint()
    {
        using var response = await GetAsync("rt_authors?select=rt_books(id)");
        Assert.Equal(HttpStatusCode.MultipleChoices, response.StatusCode);
        var body = (await JsonAsync(response))!;
        Assert.Equal("PGRST201", body["code"]!.GetValue<string>());
        Assert.Equal("Could not embed because more than one relationship was found for 'rt_authors' and 'rt_books'", body["message"]!.GetValue<string>());
        var details = body["details"]!.AsArray().Select(d => d!.ToJsonString()).ToList();
        Assert.Equal(3, details.Count);
        Assert.Contains("{\"cardinality\":\"many-to-many\",\"embedding\":\"rt_authors with rt_books\",\"relationship\":\"rt_reading using rt_reading_author_id_fkey(author_id) and rt_reading_book_id_fkey(book_id)\"}", details);
        Assert.Contains("{\"cardinality\":\"one-to-many\",\"embedding\":\"rt_authors with rt_books\",\"relationship\":\"rt_books_editor_id_fkey using rt_authors(id) and rt_books(editor_id)\"}", details);
        var hint = body["hint"]!.GetValue<string>();
        Assert.StartsWith("Try changing 'rt_books' to one of the following: ", hint, StringComparison.Ordinal);
        Assert.Contains("'rt_books!rt_reading'", hint, StringComparison.Ordinal);
        Assert.Contains("'rt_books!rt_books_author_id_fkey'", hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_whose_foreign_keys_are_not_in_its_primary_key_is_no_junction()
    {
        using var response = await GetAsync("rt_books?select=id,rt_tags!rt_loans(id)&id=eq.2");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await JsonAsync(response))!;
        Assert.Equal("PGRST200", body["code"]!.GetValue<string>());
        Assert.Equal("Searched for a foreign key relationship between 'rt_books' and 'rt_tags' using the hint 'rt_loans' in the schema 'public', but no matches were found.", body["details"]!.GetValue<string>());
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
