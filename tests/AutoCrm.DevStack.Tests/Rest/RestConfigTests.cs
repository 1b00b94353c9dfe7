using System.Net;
using AutoCrm.DevStack.Rest;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>
/// PostgREST's in-database configuration (<c>ALTER ROLE authenticator SET pgrst.…</c>, then <c>NOTIFY pgrst,
/// 'reload config'</c>) switches what the REST server does, over its own configuration.
/// </summary>
[Collection("rest")]
public sealed class RestConfigTests(RestFixture fx)
{
    [Fact]
    public async Task Pgrst_db_schemas_exposes_another_schema_and_names_the_chosen_one()
    {
        await ExecuteAsync("create schema if not exists rt_other; create table if not exists rt_other.things (id int primary key); " +
            "insert into rt_other.things values (1) on conflict do nothing; grant usage on schema rt_other to anon; grant select on rt_other.things to anon");
        using (var refused = await fx.SendAsync(HttpMethod.Get, "things", headers: ("Accept-Profile", "rt_other")))
        {
            Assert.Equal(HttpStatusCode.NotAcceptable, refused.StatusCode);
            var error = await JsonAsync(refused);
            Assert.Equal("PGRST106", error!["code"]!.GetValue<string>());
            Assert.Equal("Only the following schemas are exposed: public, graphql_public", error["hint"]!.GetValue<string>());
        }

        await WithSettingAsync("pgrst.db_schemas", "public, rt_other", s => s.Config.Schemas is ["public", "rt_other"], async () =>
        {
            using var served = await fx.SendAsync(HttpMethod.Get, "things", headers: ("Accept-Profile", "rt_other"));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("[{\"id\":1}]", (await JsonAsync(served))!.ToJsonString());
            Assert.Equal("rt_other", served.Headers.GetValues("Content-Profile").Single());

            // With several schemas PostgREST names the default one too.
            using var byDefault = await fx.SendAsync(HttpMethod.Get, "rt_authors?select=id&limit=1");
            Assert.Equal("public", byDefault.Headers.GetValues("Content-Profile").Single());

            using var graphql = await fx.SendAsync(HttpMethod.Get, "rt_authors", headers: ("Accept-Profile", "graphql_public"));
            Assert.Equal(HttpStatusCode.NotAcceptable, graphql.StatusCode);
        });
    }

    [Fact]
    public async Task Prefer_tx_rollback_is_honoured_only_where_db_tx_end_allows_it()
    {
        async Task<(HttpResponseMessage Response, long Rows)> InsertAsync(string owner)
        {
            var response = await fx.SendAsync(HttpMethod.Post, "rt_notes", $$"""{"owner":"{{owner}}","body":"b"}""", RestFixture.ServiceToken,
                ("Prefer", "tx=rollback, return=representation"));
            return (response, await fx.ScalarAsync($"select count(*) from rt_notes where owner = '{owner}'"));
        }

        var committed = await InsertAsync("tx-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(HttpStatusCode.Created, committed.Response.StatusCode);
        Assert.Equal(1, committed.Rows);
        Assert.Equal("return=representation", committed.Response.Headers.GetValues("Preference-Applied").Single());

        await WithSettingAsync("pgrst.db_tx_end", "commit-allow-override", s => s.Config.TxEnd == TransactionEnd.CommitAllowOverride, async () =>
        {
            var rolledBack = await InsertAsync("tx-" + Guid.NewGuid().ToString("N"));
            Assert.Equal(HttpStatusCode.Created, rolledBack.Response.StatusCode);
            Assert.Contains("\"body\":\"b\"", await rolledBack.Response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
            Assert.Equal(0, rolledBack.Rows);
            Assert.Equal("return=representation, tx=rollback", rolledBack.Response.Headers.GetValues("Preference-Applied").Single());
        });
    }

    [Fact]
    public async Task Aggregates_follow_db_aggregates_enabled_while_the_bare_embedded_count_always_works()
    {
        using (var count = await fx.SendAsync(HttpMethod.Get, "rt_authors?select=id,rt_books!author_id(count)&id=eq.1"))
        {
            Assert.Equal(HttpStatusCode.OK, count.StatusCode);
            var books = await fx.ScalarAsync("select count(*) from rt_books where author_id = 1");
            Assert.Equal($"[{{\"id\":1,\"rt_books\":[{{\"count\":{books}}}]}}]", (await JsonAsync(count))!.ToJsonString());
        }

        using (var refused = await fx.SendAsync(HttpMethod.Get, "rt_books?select=pages.sum()"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("PGRST123", (await JsonAsync(refused))!["code"]!.GetValue<string>());
        }

        await WithSettingAsync("pgrst.db_aggregates_enabled", "true", s => s.AggregatesEnabled, async () =>
        {
            var total = await fx.ScalarAsync("select coalesce(sum(pages), 0) from rt_books where author_id = 1");
            using var summed = await fx.SendAsync(HttpMethod.Get, "rt_books?select=author_id,total:pages.sum()::text&author_id=eq.1");
            Assert.Equal(HttpStatusCode.OK, summed.StatusCode);
            Assert.Equal($"[{{\"author_id\":1,\"total\":\"{total}\"}}]", (await JsonAsync(summed))!.ToJsonString());
        });
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = fx.Admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Sets an authenticator setting for <paramref name="body"/>, waiting on the config reloads.</summary>
    private async Task WithSettingAsync(string name, string value, Func<SchemaSnapshot, bool> applied, Func<Task> body)
    {
        await ReloadAsync($"alter role authenticator set {name} to '{value}'", applied);
        try
        {
            await body();
        }
        finally
        {
            await ReloadAsync($"alter role authenticator reset {name}", s => !applied(s));
        }
    }

    private async Task ReloadAsync(string sql, Func<SchemaSnapshot, bool> done)
    {
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReload(SchemaSnapshot s)
        {
            if (done(s))
            {
                reloaded.TrySetResult();
            }
        }

        fx.Cache.Reloaded += OnReload;
        try
        {
            await using (var command = fx.Admin.CreateCommand(sql + "; notify pgrst, 'reload config'"))
            {
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }

            await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
        finally
        {
            fx.Cache.Reloaded -= OnReload;
        }
    }
}
