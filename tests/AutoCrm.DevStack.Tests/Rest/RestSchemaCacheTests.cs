using System.Net;
using AutoCrm.DevStack.Rest;
using static AutoCrm.DevStack.Tests.Rest.RestReadTests;

namespace AutoCrm.DevStack.Tests.Rest;

[Collection("rest")]
public sealed class RestSchemaCacheTests(RestFixture fx)
{
    [Fact]
    public async Task Notify_pgrst_reload_schema_picks_up_a_new_table()
    {
        var table = "rt_new_" + Guid.NewGuid().ToString("N")[..8];
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReload(SchemaSnapshot snapshot)
        {
            if (snapshot.Relation("public", table) is not null)
            {
                reloaded.TrySetResult();
            }
        }

        fx.Cache.Reloaded += OnReload;
        try
        {
            await using (var command = fx.Admin.CreateCommand($"create table {table} (id int primary key); grant select on {table} to anon; insert into {table} values (7); notify pgrst, 'reload schema'"))
            {
                await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
        finally
        {
            fx.Cache.Reloaded -= OnReload;
        }

        var snapshot = await fx.Cache.GetAsync(TestContext.Current.CancellationToken);
        Assert.NotNull(snapshot.Relation("public", table));
        using var response = await fx.SendAsync(HttpMethod.Get, table);
        Assert.Equal("[{\"id\":7}]", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Cache_knows_columns_keys_relationships_and_functions()
    {
        var snapshot = await fx.Cache.GetAsync(TestContext.Current.CancellationToken);
        var books = snapshot.Relation("public", "rt_books")!;
        Assert.Equal(["id"], books.PrimaryKey);
        Assert.Equal("text[]", books.Column("tags")!.Type);
        Assert.False(books.Column("title")!.Nullable);
        Assert.Contains(books.Relationships, r => r.Target.Name == "rt_reviews" && !r.ToOne);
        Assert.Contains(books.Relationships, r => r.Target.Name == "rt_authors" && r.ToOne && r.ConstraintName == "rt_books_editor_id_fkey");
        var hello = Assert.Single(snapshot.Functions[("public", "rt_hello")]);
        Assert.True(hello.Parameters[0].HasDefault);
        Assert.Equal('s', hello.Volatility);
        var booksBy = Assert.Single(snapshot.Functions[("public", "rt_books_by")]);
        Assert.True(booksBy.ReturnsSet);
        Assert.Same(books, booksBy.ReturnRelation);
        Assert.Equal(DbReturnKindName.Void, Assert.Single(snapshot.Functions[("public", "rt_touch")]).ReturnKind.ToString());
    }

    [Fact]
    public async Task AutoCrm_tickets_embed_their_conversation_history()
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "tickets?select=*,conversation_history:ticket_messages(*),requester:profiles!requester_id(id),assignee:profiles!assignee_id(id)", token: RestFixture.ServiceToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull((await JsonAsync(response))!.AsArray());
    }

    [Fact]
    public async Task AutoCrm_queue_stats_rpc_is_callable()
    {
        using var response = await fx.SendAsync(HttpMethod.Post, "rpc/queue_stats", "{}", RestFixture.ServiceToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}

internal static class DbReturnKindName
{
    public const string Void = "Void";
}
