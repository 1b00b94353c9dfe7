using System.Net;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Rest;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>
/// Spreading to-many embeds (PostgREST 13): each spread column becomes an array of the children's values. Like
/// PostgREST it needs <c>db-aggregates-enabled</c>, which Supabase leaves off (then 400 PGRST123).
/// </summary>
[Collection("rest")]
public sealed class RestSpreadTests(RestFixture fx)
{
    private Task<HttpResponseMessage> GetAsync(string url) => fx.SendAsync(HttpMethod.Get, url);

    [Theory]
    [InlineData("rt_authors?select=id,...rt_books!author_id(title)")]
    [InlineData("rt_books?select=id,...rt_tags(name)")]
    public async Task To_many_spread_is_PGRST123_while_aggregates_are_disabled(string url)
    {
        using var response = await GetAsync(url);
        await AssertAggregatesDisabledAsync(response);
    }

    [Fact]
    public async Task To_one_spread_needs_no_aggregates()
    {
        using var response = await GetAsync("rt_books?select=id,...rt_authors!author_id(name)&id=eq.1");
        Assert.Equal("[{\"id\":1,\"name\":\"Ursula\"}]", (await JsonAsync(response))!.ToJsonString());
    }

    [Fact]
    public async Task One_to_many_spread_aggregates_each_column_into_an_array_in_the_embed_order()
    {
        await WithAggregatesAsync(async () =>
        {
            using var response = await GetAsync("rt_authors?select=id,...rt_books!author_id(title)&order=id&rt_books.order=id");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(
                "[{\"id\":1,\"title\":[\"A Wizard of Earthsea\",\"The Left Hand of Darkness\"]},{\"id\":2,\"title\":[\"Solaris\"]},"
                + "{\"id\":3,\"title\":[\"Kindred\",\"Bloodchild\"]},{\"id\":4,\"title\":[]}]",
                (await JsonAsync(response))!.ToJsonString());
        });
    }

    [Fact]
    public async Task Spread_columns_take_aliases_and_the_embed_takes_order_limit_and_filters()
    {
        await WithAggregatesAsync(async () =>
        {
            using (var response = await GetAsync("rt_authors?select=id,...rt_books!author_id(titles:title,ids:id)&id=eq.1&rt_books.order=id.desc&rt_books.limit=1"))
            {
                Assert.Equal("[{\"id\":1,\"titles\":[\"The Left Hand of Darkness\"],\"ids\":[2]}]", (await JsonAsync(response))!.ToJsonString());
            }

            using (var response = await GetAsync("rt_authors?select=id,...rt_books!author_id(pages)&id=eq.1&rt_books.pages=gt.200"))
            {
                Assert.Equal("[{\"id\":1,\"pages\":[286]}]", (await JsonAsync(response))!.ToJsonString());
            }
        });
    }

    [Fact]
    public async Task Many_to_many_spread_and_star_aggregate_every_column()
    {
        await WithAggregatesAsync(async () =>
        {
            using (var response = await GetAsync("rt_books?select=id,...rt_tags(tags:name)&id=in.(1,2,3)&order=id&rt_tags.order=name"))
            {
                Assert.Equal("[{\"id\":1,\"tags\":[\"classic\",\"magic\"]},{\"id\":2,\"tags\":[]},{\"id\":3,\"tags\":[\"classic\",\"space\"]}]",
                    (await JsonAsync(response))!.ToJsonString());
            }

            using (var response = await GetAsync("rt_books?select=title,...rt_tags(*)&id=eq.3&rt_tags.order=id"))
            {
                Assert.Equal("[{\"title\":\"Solaris\",\"id\":[2,3],\"name\":[\"classic\",\"space\"]}]", (await JsonAsync(response))!.ToJsonString());
            }
        });
    }

    [Fact]
    public async Task Nested_to_one_spread_and_embed_inside_a_to_many_spread_are_aggregated_per_child()
    {
        await WithAggregatesAsync(async () =>
        {
            using (var response = await GetAsync("rt_authors?select=id,...rt_books!author_id(title,...rt_authors!editor_id(editor:name))&id=eq.1&rt_books.order=id"))
            {
                Assert.Equal("[{\"id\":1,\"title\":[\"A Wizard of Earthsea\",\"The Left Hand of Darkness\"],\"editor\":[\"Octavia\",null]}]",
                    (await JsonAsync(response))!.ToJsonString());
            }

            using (var response = await GetAsync("rt_reviews?select=id,...rt_books(title,author:rt_authors!author_id(name))&id=eq.3"))
            {
                // A to-one relationship, spread: no aggregation at all.
                Assert.Equal("[{\"id\":3,\"title\":\"Solaris\",\"author\":{\"name\":\"Stanislaw\"}}]", (await JsonAsync(response))!.ToJsonString());
            }

            using (var response = await GetAsync("rt_authors?select=id,...rt_books!author_id(book:id,writer:rt_authors!author_id(name))&id=eq.3&rt_books.order=id"))
            {
                Assert.Equal("[{\"id\":3,\"book\":[4,5],\"writer\":[{\"name\":\"Octavia\"},{\"name\":\"Octavia\"}]}]", (await JsonAsync(response))!.ToJsonString());
            }
        });
    }

    [Fact]
    public async Task To_many_embeds_inside_a_to_many_spread_flatten_into_its_arrays()
    {
        await WithAggregatesAsync(async () =>
        {
            // A non-spread to-many embed inside is one object per grandchild, not a nested array.
            using (var response = await GetAsync("rt_authors?select=id,...rt_books!author_id(book:id,reviews:rt_reviews(stars))&id=eq.2"))
            {
                Assert.Equal("[{\"id\":2,\"book\":[3],\"reviews\":[{\"stars\":5}]}]", (await JsonAsync(response))!.ToJsonString());
            }

            // A to-many spread inside repeats the outer child once per grandchild.
            using (var response = await GetAsync("rt_authors?select=id,...rt_books!author_id(book:id,...rt_reviews(stars))&id=eq.1&rt_books.order=id"))
            {
                var row = (await JsonAsync(response))![0]!;
                Assert.Equal("[1,1,2]", row["book"]!.ToJsonString());
                var stars = row["stars"]!.AsArray();
                Assert.Equal(3, stars.Count);
                Assert.Equal([4, 5], new[] { stars[0]!.GetValue<int>(), stars[1]!.GetValue<int>() }.Order());
                Assert.Null(stars[2]);
            }

            // A non-spread embed starts its own aggregation: a to-many spread inside it is an array per object.
            using (var response = await GetAsync("rt_authors?select=id,books:rt_books!author_id(id,...rt_tags(tags:name))&id=eq.1&books.order=id&books.rt_tags.order=name"))
            {
                Assert.Equal("[{\"id\":1,\"books\":[{\"id\":1,\"tags\":[\"classic\",\"magic\"]},{\"id\":2,\"tags\":[]}]}]", (await JsonAsync(response))!.ToJsonString());
            }
        });
    }

    [Fact]
    public async Task Inner_join_on_a_to_many_spread_is_refused()
    {
        await WithAggregatesAsync(async () =>
        {
            using var response = await GetAsync("rt_authors?select=id,...rt_books!author_id!inner(title)");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("PGRST100", (await JsonAsync(response))!["code"]!.GetValue<string>());
        });
    }

    [Fact]
    public async Task Disabling_aggregates_again_refuses_the_spread()
    {
        await WithAggregatesAsync(async () =>
        {
            using var on = await GetAsync("rt_authors?select=id,...rt_books!author_id(id)&id=eq.4");
            Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        });

        using var off = await GetAsync("rt_authors?select=id,...rt_books!author_id(id)&id=eq.4");
        await AssertAggregatesDisabledAsync(off);
    }

    private static async Task AssertAggregatesDisabledAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("{\"code\":\"PGRST123\",\"details\":null,\"hint\":null,\"message\":\"Use of aggregate functions is not allowed\"}",
            SortKeys((await JsonAsync(response))!.AsObject()));
    }

    private static string SortKeys(JsonObject body) =>
        new JsonObject(body.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))).ToJsonString();

    /// <summary>Turns pgrst.db_aggregates_enabled on for <paramref name="body"/>, waiting on the config reloads.</summary>
    private async Task WithAggregatesAsync(Func<Task> body)
    {
        await SetAggregatesEnabledAsync(true, TestContext.Current.CancellationToken);
        try
        {
            await body();
        }
        finally
        {
            await SetAggregatesEnabledAsync(false, CancellationToken.None);
        }
    }

    private async Task SetAggregatesEnabledAsync(bool enabled, CancellationToken ct)
    {
        var reloaded = new TaskCompletionSource<SchemaSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReload(SchemaSnapshot s)
        {
            if (s.AggregatesEnabled == enabled)
            {
                reloaded.TrySetResult(s);
            }
        }

        fx.Cache.Reloaded += OnReload;
        try
        {
            if ((await fx.Cache.GetAsync(ct)).AggregatesEnabled == enabled)
            {
                return;
            }

            await using (var command = fx.Admin.CreateCommand(
                (enabled ? "alter role authenticator set pgrst.db_aggregates_enabled to 'true'" : "alter role authenticator reset pgrst.db_aggregates_enabled")
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
