using System.Net;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Rest;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>Content negotiation: CSV, stripped nulls, GeoJSON without PostGIS, EXPLAIN plans, PGRST107.</summary>
[Collection("rest")]
public sealed class RestMediaTypeTests(RestFixture fx)
{
    private const string PlanTextForJson = "application/vnd.pgrst.plan+text; for=\"application/json\"; options=analyze;";

    private Task<HttpResponseMessage> GetAsync(string url, params (string, string)[] headers) => fx.SendAsync(HttpMethod.Get, url, headers: headers);

    private static Task<string> TextAsync(HttpResponseMessage response) => response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

    [Fact]
    public async Task Csv_has_a_header_row_and_one_line_per_row_with_nulls_empty()
    {
        using var response = await GetAsync("rt_authors?select=id,name,country&order=id", ("Accept", "text/csv"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("id,name,country\n1,Ursula,US\n2,Stanislaw,PL\n3,Octavia,US\n4,Nobody,", await TextAsync(response));
        Assert.Equal("0-3/*", response.Content.Headers.GetValues("Content-Range").Single());
    }

    [Fact]
    public async Task Csv_quotes_values_as_postgres_record_text_does_including_json_and_arrays()
    {
        using var response = await GetAsync("rt_books?select=id,title,tags,meta,pages&id=in.(1,5)&order=id", ("Accept", "text/csv"));
        Assert.Equal(
            "id,title,tags,meta,pages\n"
            + "1,\"A Wizard of Earthsea\",\"{fantasy,classic}\",\"{\"\"kind\"\": \"\"novel\"\", \"\"rating\"\": {\"\"stars\"\": 5}}\",183\n"
            + "5,Bloodchild,{},\"{\"\"kind\"\": \"\"story, short\"\"}\",",
            await TextAsync(response));
    }

    [Fact]
    public async Task Csv_of_no_rows_is_a_lone_newline()
    {
        using var response = await GetAsync("rt_authors?id=eq.999", ("Accept", "text/csv"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\n", await TextAsync(response));
    }

    [Fact]
    public async Task Csv_embeds_are_json_text_in_their_column()
    {
        using var response = await GetAsync("rt_books?select=id,rt_authors!author_id(name)&id=eq.3", ("Accept", "text/csv"));
        Assert.Equal("id,rt_authors\n3,\"{\"\"name\"\":\"\"Stanislaw\"\"}\"", await TextAsync(response));
    }

    [Fact]
    public async Task Csv_works_for_a_set_returning_function()
    {
        using var response = await GetAsync("rpc/rt_books_by?author=1&select=id,title", ("Accept", "text/csv"));
        Assert.Equal("id,title\n1,\"A Wizard of Earthsea\"\n2,\"The Left Hand of Darkness\"", await TextAsync(response));
    }

    [Fact]
    public async Task Csv_representation_of_an_insert()
    {
        using var response = await fx.SendAsync(HttpMethod.Post, "rt_notes?select=owner,body", "{\"owner\":\"csv-writer\",\"body\":\"a,b\"}",
            headers: [("Prefer", "return=representation"), ("Accept", "text/csv")]);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("owner,body\ncsv-writer,\"a,b\"", await TextAsync(response));
    }

    [Fact]
    public async Task Array_with_stripped_nulls_drops_null_fields()
    {
        using var response = await GetAsync("rt_authors?id=in.(3,4)&order=id", ("Accept", "application/vnd.pgrst.array+json;nulls=stripped"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertStrippedType("application/vnd.pgrst.array+json", response);
        var body = (await JsonAsync(response))!.AsArray();
        Assert.Equal(3, body[0]!.AsObject().Count);
        Assert.Equal(2, body[1]!.AsObject().Count);
        Assert.False(body[1]!.AsObject().ContainsKey("country"));
    }

    [Fact]
    public async Task Stripped_nulls_reach_into_embedded_resources()
    {
        using var response = await GetAsync("rt_books?select=id,editor:rt_authors!editor_id(name,country),rt_reviews(stars,body)&id=eq.4", ("Accept", "application/vnd.pgrst.array+json;nulls=stripped"));
        var row = (await JsonAsync(response))![0]!.AsObject();
        Assert.False(row.ContainsKey("editor"));
        Assert.Equal("{\"stars\":3}", row["rt_reviews"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task Singular_with_stripped_nulls_is_one_object_without_null_fields()
    {
        using var response = await GetAsync("rt_authors?id=eq.4", ("Accept", "application/vnd.pgrst.object+json;nulls=stripped"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertStrippedType("application/vnd.pgrst.object+json", response);
        Assert.Equal("{\"id\":4,\"name\":\"Nobody\"}", (await JsonAsync(response))!.ToJsonString());
    }

    [Fact]
    public async Task Array_media_type_without_the_parameter_is_plain_json()
    {
        using var response = await GetAsync("rt_authors?id=eq.4", ("Accept", "application/vnd.pgrst.array+json"));
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.True((await JsonAsync(response))![0]!.AsObject().ContainsKey("country"));
    }

    [Fact]
    public async Task GeoJson_without_PostGIS_is_postgres_undefined_function_error()
    {
        using var response = await GetAsync("rt_authors", ("Accept", "application/geo+json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = (await JsonAsync(response))!;
        Assert.Equal("42883", body["code"]!.GetValue<string>());
        Assert.Equal("function st_asgeojson(record) does not exist", body["message"]!.GetValue<string>());
        Assert.Equal("No function matches the given name and argument types. You might need to add explicit type casts.", body["hint"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("text/plain", "None of these media types are available: text/plain")]
    [InlineData("application/xml, image/png", "None of these media types are available: application/xml, image/png")]
    [InlineData("application/*", "None of these media types are available: application/*")]
    [InlineData("text/xml;q=0.9, unknown/unknown", "None of these media types are available: unknown/unknown, text/xml")]
    public async Task Unsupported_media_types_are_406_PGRST107_naming_each_in_preference_order(string accept, string message)
    {
        using var response = await GetAsync("rt_authors", ("Accept", accept));
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        var body = (await JsonAsync(response))!;
        Assert.Equal("PGRST107", body["code"]!.GetValue<string>());
        Assert.Equal(message, body["message"]!.GetValue<string>());
        Assert.Null(body["details"]);
        Assert.Null(body["hint"]);
    }

    [Theory]
    [InlineData("text/plain, text/csv", "text/csv; charset=utf-8")]
    [InlineData("text/csv;q=0.5, application/json", "application/json; charset=utf-8")]
    [InlineData("image/png, */*", "application/json; charset=utf-8")]
    public async Task The_first_producible_media_type_by_quality_wins(string accept, string contentType)
    {
        using var response = await GetAsync("rt_authors?id=eq.1", ("Accept", accept));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Plan_media_type_is_406_while_db_plan_enabled_is_off()
    {
        using var response = await GetAsync("rt_authors", ("Accept", PlanTextForJson));
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        var body = (await JsonAsync(response))!;
        Assert.Equal("PGRST107", body["code"]!.GetValue<string>());
        Assert.Equal("None of these media types are available: application/vnd.pgrst.plan+text; for=\"application/json\"; options=analyze", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Plan_is_served_once_the_authenticator_enables_it_and_config_is_reloaded()
    {
        var ct = TestContext.Current.CancellationToken;
        await SetPlanEnabledAsync(true, ct);
        try
        {
            using (var text = await GetAsync("rt_books?select=id,title&author_id=eq.1", ("Accept", PlanTextForJson)))
            {
                Assert.Equal(HttpStatusCode.OK, text.StatusCode);
                Assert.Equal("application/vnd.pgrst.plan+text; for=\"application/json\"; options=analyze; charset=utf-8", text.Content.Headers.ContentType!.ToString());
                var plan = await TextAsync(text);
                Assert.Contains("Aggregate", plan, StringComparison.Ordinal);
                Assert.Contains("actual time=", plan, StringComparison.Ordinal);
                Assert.EndsWith("\n", plan, StringComparison.Ordinal);
            }

            using (var json = await GetAsync("rt_books?id=eq.1", ("Accept", "application/vnd.pgrst.plan+json; for=\"application/vnd.pgrst.object+json\"; options=verbose|buffers;")))
            {
                Assert.Equal(HttpStatusCode.OK, json.StatusCode);
                Assert.Equal("application/vnd.pgrst.plan+json; for=\"application/vnd.pgrst.object+json\"; options=verbose|buffers; charset=utf-8", json.Content.Headers.ContentType!.ToString());
                var plan = (await JsonAsync(json))!.AsArray();
                Assert.NotNull(plan[0]!["Plan"]!["Output"]);
                Assert.Null(plan[0]!["Plan"]!["Actual Total Time"]);
            }

            // A plan of a body nobody can produce is refused like the body itself.
            using var bad = await GetAsync("rt_books", ("Accept", "application/vnd.pgrst.plan; for=\"text/plain\""));
            Assert.Equal(HttpStatusCode.NotAcceptable, bad.StatusCode);
            Assert.Equal("None of these media types are available: application/vnd.pgrst.plan+text; for=\"text/plain\"", (await JsonAsync(bad))!["message"]!.GetValue<string>());
        }
        finally
        {
            await SetPlanEnabledAsync(false, CancellationToken.None);
        }

        using var off = await GetAsync("rt_authors", ("Accept", PlanTextForJson));
        Assert.Equal(HttpStatusCode.NotAcceptable, off.StatusCode);
    }

    [Fact]
    public void Negotiation_reads_supabase_js_explain_header_with_its_trailing_semicolon()
    {
        var media = MediaTypes.Negotiate("application/vnd.pgrst.plan+json; for=\"text/csv\"; options=wal|analyze|settings;", planEnabled: true);
        Assert.NotNull(media.Plan);
        Assert.True(media.Plan!.Json);
        Assert.Equal(["analyze", "settings", "wal"], media.Plan.Options);
        Assert.Equal(BodyKind.Csv, media.Format.Kind);
        Assert.Equal("FORMAT JSON, ANALYZE, SETTINGS, WAL", media.Plan.ExplainOptions);
    }

    private static void AssertStrippedType(string mediaType, HttpResponseMessage response)
    {
        // HttpClient re-renders the header; the parts are what count: "<type>;nulls=stripped; charset=utf-8".
        var type = response.Content.Headers.ContentType!;
        Assert.Equal(mediaType, type.MediaType);
        Assert.Equal(["nulls=stripped", "charset=utf-8"], type.Parameters.Select(p => p.ToString()));
    }

    /// <summary>Sets pgrst.db_plan_enabled on the authenticator and waits for the cache to reload on NOTIFY 'reload config'.</summary>
    private async Task SetPlanEnabledAsync(bool enabled, CancellationToken ct)
    {
        var reloaded = new TaskCompletionSource<SchemaSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReload(SchemaSnapshot s)
        {
            if (s.PlanEnabled == enabled)
            {
                reloaded.TrySetResult(s);
            }
        }

        fx.Cache.Reloaded += OnReload;
        try
        {
            await using (var command = fx.Admin.CreateCommand(
                (enabled ? "alter role authenticator set pgrst.db_plan_enabled to 'true'" : "alter role authenticator reset pgrst.db_plan_enabled")
                + "; notify pgrst, 'reload config'"))
            {
                await command.ExecuteNonQueryAsync(ct);
            }

            await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        }
        finally
        {
            fx.Cache.Reloaded -= OnReload;
        }
    }
}

[Collection("rest")]
public sealed class RestRootMediaTypeTests(RestFixture fx)
{
    [Theory]
    [InlineData(null)]
    [InlineData("application/openapi+json")]
    [InlineData("application/json")]
    [InlineData("text/csv, */*")]
    public async Task Root_serves_its_openapi_document_for_json_kinds(string? accept)
    {
        using var response = accept is null ? await fx.SendAsync(HttpMethod.Get, "") : await fx.SendAsync(HttpMethod.Get, "", headers: [("Accept", accept)]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/openapi+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Root_refuses_csv_with_PGRST107()
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "", headers: [("Accept", "text/csv")]);
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        var body = (await JsonAsync(response))!;
        Assert.Equal("PGRST107", body["code"]!.GetValue<string>());
        Assert.Equal("None of these media types are available: text/csv", body["message"]!.GetValue<string>());
    }
}
