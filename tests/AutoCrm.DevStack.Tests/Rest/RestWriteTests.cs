using System.Net;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

[Collection("rest")]
public sealed class RestWriteTests(RestFixture fx)
{
    private readonly string owner = "w" + Guid.NewGuid().ToString("N")[..10];

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? body = null, params (string, string)[] headers) =>
        fx.SendAsync(method, url, body, null, headers);

    private Task<long> CountAsync(string where = "true") => fx.ScalarAsync($"select count(*) from rt_notes where owner = '{owner}' and {where}");

    [Fact]
    public async Task Insert_one_row_minimal_is_201_without_body()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","body":"a"}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("*/*", response.Content.Headers.GetValues("Content-Range").Single());
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task Insert_with_return_representation_returns_the_rows_with_defaults()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes?select=owner,body,n", $$"""{"owner":"{{owner}}","body":"b"}""", ("Prefer", "return=representation"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var row = (await JsonAsync(response))![0]!;
        Assert.Equal(7, row["n"]!.GetValue<int>());
        Assert.Equal("return=representation", response.Headers.GetValues("Preference-Applied").Single());
    }

    [Fact]
    public async Task Bulk_insert_with_columns_sets_absent_keys_to_null()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes?columns=\"owner\",\"body\",\"n\"",
            $$"""[{"owner":"{{owner}}","body":"x","n":1},{"owner":"{{owner}}","body":"y"}]""", ("Prefer", "return=representation"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, await CountAsync());
        Assert.Equal(1, await CountAsync("n is null"));
    }

    [Fact]
    public async Task Bulk_insert_with_missing_default_uses_column_defaults()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes?columns=\"owner\",\"body\",\"n\"",
            $$"""[{"owner":"{{owner}}","body":"x","n":1},{"owner":"{{owner}}"}]""", ("Prefer", "missing=default, return=minimal"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1, await CountAsync("body = 'default body' and n = 7"));
        Assert.Contains("missing=default", response.Headers.GetValues("Preference-Applied").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bulk_insert_with_mismatched_keys_is_PGRST102()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes", $$"""[{"owner":"{{owner}}"},{"owner":"{{owner}}","body":"b"}]""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("PGRST102", body!["code"]!.GetValue<string>());
        Assert.Equal("All object keys must match", body["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("not json")]
    public async Task Empty_or_invalid_json_is_PGRST102(string body)
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("PGRST102", (await JsonAsync(response))!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_column_in_body_is_PGRST204()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","nope":1}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("PGRST204", body!["code"]!.GetValue<string>());
        Assert.Equal("Could not find the 'nope' column of 'rt_notes' in the schema cache", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unique_violation_is_409_with_the_postgres_error()
    {
        using var first = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","body":"dup"}""");
        using var second = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","body":"dup"}""");
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var body = await JsonAsync(second);
        Assert.Equal("23505", body!["code"]!.GetValue<string>());
        Assert.Contains("duplicate key value violates unique constraint", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(body["details"]);
    }

    [Fact]
    public async Task Upsert_merge_duplicates_updates_on_conflict_columns()
    {
        using var a = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","body":"u","n":1}""");
        using var response = await SendAsync(HttpMethod.Post, "rt_notes?on_conflict=owner,body", $$"""{"owner":"{{owner}}","body":"u","n":2}""",
            ("Prefer", "resolution=merge-duplicates, return=representation"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await CountAsync("n = 2"));
        Assert.Equal("resolution=merge-duplicates, return=representation", response.Headers.GetValues("Preference-Applied").Single());
    }

    [Fact]
    public async Task Upsert_that_inserts_is_201()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes?on_conflict=owner,body", $$"""{"owner":"{{owner}}","body":"fresh","n":2}""",
            ("Prefer", "resolution=merge-duplicates"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Upsert_ignore_duplicates_keeps_the_old_row()
    {
        using var a = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","body":"i","n":1}""");
        using var response = await SendAsync(HttpMethod.Post, "rt_notes?on_conflict=owner,body", $$"""{"owner":"{{owner}}","body":"i","n":2}""",
            ("Prefer", "resolution=ignore-duplicates, return=representation"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, await CountAsync("n = 1"));
    }

    [Fact]
    public async Task Headers_only_insert_sets_location()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","body":"loc"}""", ("Prefer", "return=headers-only"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Matches(@"^/rt_notes\?id=eq\.\d+$", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Patch_updates_filtered_rows_and_returns_204()
    {
        using var a = await SendAsync(HttpMethod.Post, "rt_notes", $$"""[{"owner":"{{owner}}","body":"p1"},{"owner":"{{owner}}","body":"p2"}]""");
        using var response = await SendAsync(HttpMethod.Patch, $"rt_notes?owner=eq.{owner}", """{"n":42}""");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("0-1/*", response.Content.Headers.GetValues("Content-Range").Single());
        Assert.Equal(2, await CountAsync("n = 42"));
    }

    [Fact]
    public async Task Patch_with_representation_returns_the_updated_rows()
    {
        using var a = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","body":"r"}""");
        using var response = await SendAsync(HttpMethod.Patch, $"rt_notes?owner=eq.{owner}&select=body,n", """{"n":5}""", ("Prefer", "return=representation"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, (await JsonAsync(response))![0]!["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task Patch_matching_nothing_returns_an_empty_array()
    {
        using var response = await SendAsync(HttpMethod.Patch, $"rt_notes?owner=eq.{owner}", """{"n":5}""", ("Prefer", "return=representation"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Delete_removes_filtered_rows()
    {
        using var a = await SendAsync(HttpMethod.Post, "rt_notes", $$"""[{"owner":"{{owner}}","body":"d1"},{"owner":"{{owner}}","body":"d2"}]""");
        using var response = await SendAsync(HttpMethod.Delete, $"rt_notes?owner=eq.{owner}&body=eq.d1", null, ("Prefer", "return=representation"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("d1", (await JsonAsync(response))![0]!["body"]!.GetValue<string>());
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task Delete_minimal_is_204_with_count()
    {
        using var a = await SendAsync(HttpMethod.Post, "rt_notes", $$"""[{"owner":"{{owner}}","body":"d1"},{"owner":"{{owner}}","body":"d2"}]""");
        using var response = await SendAsync(HttpMethod.Delete, $"rt_notes?owner=eq.{owner}", null, ("Prefer", "count=exact"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*/2", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Theory]
    [InlineData("PATCH", "UPDATE requires a WHERE clause")]
    [InlineData("DELETE", "DELETE requires a WHERE clause")]
    public async Task Filterless_patch_and_delete_are_refused(string method, string message)
    {
        var before = await fx.ScalarAsync("select count(*) from rt_notes");
        using var response = await SendAsync(new HttpMethod(method), "rt_notes", method == "PATCH" ? """{"n":1}""" : null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($$"""{"code":"21000","details":null,"hint":null,"message":"{{message}}"}""", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(before, await fx.ScalarAsync("select count(*) from rt_notes"));
    }

    [Fact]
    public async Task Singular_write_with_several_rows_is_406_and_rolled_back()
    {
        using var a = await SendAsync(HttpMethod.Post, "rt_notes", $$"""[{"owner":"{{owner}}","body":"s1"},{"owner":"{{owner}}","body":"s2"}]""");
        using var response = await SendAsync(HttpMethod.Patch, $"rt_notes?owner=eq.{owner}", """{"n":99}""",
            ("Prefer", "return=representation"), ("Accept", "application/vnd.pgrst.object+json"));
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.Equal("The result contains 2 rows", (await JsonAsync(response))!["details"]!.GetValue<string>());
        Assert.Equal(0, await CountAsync("n = 99"));
    }

    [Fact]
    public async Task Singular_insert_returns_an_object()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes?select=body", $$"""{"owner":"{{owner}}","body":"one"}""",
            ("Prefer", "return=representation"), ("Accept", "application/vnd.pgrst.object+json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("one", (await JsonAsync(response))!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Check_violation_is_400()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_reviews", """{"book_id":1,"stars":9}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("23514", (await JsonAsync(response))!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Foreign_key_violation_is_409()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_reviews", """{"book_id":999,"stars":1}""");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("23503", (await JsonAsync(response))!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Not_null_violation_is_400()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes", """{"body":"x"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("23502", (await JsonAsync(response))!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bad_value_for_the_column_type_is_22P02()
    {
        using var response = await SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","n":"abc"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("22P02", (await JsonAsync(response))!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_upserts_one_row_by_primary_key()
    {
        using var response = await SendAsync(HttpMethod.Put, "rt_authors?id=eq.50", """{"id":50,"name":"Put","country":"NZ"}""", ("Prefer", "return=representation"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var again = await SendAsync(HttpMethod.Put, "rt_authors?id=eq.50", """{"id":50,"name":"Put2","country":"NZ"}""");
        Assert.Equal(1, await fx.ScalarAsync("select count(*) from rt_authors where id = 50 and name = 'Put2'"));
        await fx.ScalarAsync("with d as (delete from rt_authors where id = 50 returning 1) select count(*) from d");
    }

    [Fact]
    public async Task Put_without_primary_key_filter_is_405()
    {
        using var response = await SendAsync(HttpMethod.Put, "rt_authors", """{"id":51,"name":"x"}""");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
