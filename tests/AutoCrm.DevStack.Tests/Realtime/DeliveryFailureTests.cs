using System.Text.Json.Nodes;
using AutoCrm.DevStack.Realtime;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>A round of change delivery that fails is retried, and if it keeps failing its subscribers are told.</summary>
public sealed class DeliveryFailureTests(RealtimeEnvironment env)
{
    // Filtered to this test's rows: other tests write to the same tables, and their changes must not reach (or,
    // sharing a failed round, close) these channels.
    private static JsonArray Notes(string title) => [new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "notes", ["filter"] = "title=eq." + title }];

    private static bool Carries(RowChange change, string tag) =>
        change.Relation.Table == "notes" && change.FilterRow.Any(v => v.Text?.Contains(tag, StringComparison.Ordinal) == true);

    private static Func<ReceivedFrame, bool> About(string title) =>
        f => f.Event == "postgres_changes" && (string?)f.Payload!["data"]!["record"]?["title"] == title;

    [Fact]
    public async Task A_round_that_fails_once_is_retried_and_delivered()
    {
        // An own server, so the injected fault cannot touch another test's rounds.
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var failures = 0;
        server.Service.DispatchFault = (changes, attempt) =>
        {
            if (attempt == 1 && changes.Any(c => Carries(c, tag)))
            {
                Interlocked.Increment(ref failures);
                throw new InvalidOperationException("injected transient failure");
            }
        };
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon());
        await client.SubscribeAsync("realtime:retry-" + tag, Notes("retry-" + tag), TestTokens.ServiceRole());

        await env.Postgres.ExecuteAsync("insert into public.notes (title) values ($1)", "retry-" + tag);

        var change = await client.NextAsync(f => f.Event is "system" or "phx_close" || About("retry-" + tag)(f));
        Assert.Equal("postgres_changes", change.Event);
        Assert.Equal(1, Volatile.Read(ref failures));
    }

    [Fact]
    public async Task A_round_that_keeps_failing_closes_each_affected_channel_with_a_system_error()
    {
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var attempts = 0;
        server.Service.DispatchFault = (changes, _) =>
        {
            if (changes.Any(c => Carries(c, tag)))
            {
                Interlocked.Increment(ref attempts);
                throw new InvalidOperationException("injected persistent failure");
            }
        };
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        await using var bystander = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon());
        var topic = "realtime:fail-" + tag;
        var (joinRef, _) = await client.SubscribeAsync(topic, Notes("lost-" + tag), TestTokens.ServiceRole());
        // Subscribed to another table only: the failed round concerned no change it was bound to.
        await bystander.SubscribeAsync("realtime:other-" + tag, [new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "plain", ["filter"] = "label=eq.after-" + tag }], TestTokens.ServiceRole());

        await env.Postgres.ExecuteAsync("insert into public.notes (title) values ($1)", "lost-" + tag);

        var system = await client.NextAsync(f => f.Event is "system" or "phx_close" or "postgres_changes");
        Assert.Equal("system", system.Event);
        Assert.Equal(topic, system.Topic);
        Assert.Equal("error", (string?)system.Payload!["status"]);
        Assert.Equal(ChangeDispatcher.DeliveryFailedMessage, (string?)system.Payload!["message"]);
        var close = await client.NextAsync(f => f.Event is "phx_close" or "postgres_changes");
        Assert.Equal("phx_close", close.Event);
        Assert.Equal(joinRef, close.Ref);
        Assert.Equal(ChangeDispatcher.MaxAttemptsPerRound, Volatile.Read(ref attempts));

        // The dispatcher goes on serving: the bystander still receives its own table's changes.
        var id = Random.Shared.Next(1_000_000, int.MaxValue);
        await env.Postgres.ExecuteAsync("insert into public.plain (id, label) values ($1, $2)", id, "after-" + tag);
        var after = await bystander.NextAsync(f => f.Event is "system" or "phx_close" or "postgres_changes");
        Assert.Equal("postgres_changes", after.Event);
        Assert.Equal("after-" + tag, (string?)after.Payload!["data"]!["record"]!["label"]);
    }

    [Fact]
    public async Task Rls_checks_wait_until_a_decoded_transaction_is_visible_to_new_snapshots()
    {
        // The walsender can send a commit before the committing backend is visible to other sessions; an RLS check
        // in that window would miss the row. An open transaction stands in for that window here.
        var ct = TestContext.Current.CancellationToken;
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var writer = new NpgsqlConnection(env.Postgres.ConnectionString);
        await writer.OpenAsync(ct);
        await using var transaction = await writer.BeginTransactionAsync(ct);
        await using (var insert = new NpgsqlCommand("insert into public.notes (title) values ($1)", writer, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = "pending-" + tag });
            await insert.ExecuteNonQueryAsync(ct);
        }

        uint xid;
        await using (var current = new NpgsqlCommand("select pg_current_xact_id()::text::bigint", writer, transaction))
        {
            xid = (uint)((long)(await current.ExecuteScalarAsync(ct))! & 0xFFFFFFFF);
        }

        var security = new RowSecurityCheck(env.Server.Service);
        await using var checker = new NpgsqlConnection(env.Postgres.ConnectionString);
        await checker.OpenAsync(ct);

        await Assert.ThrowsAsync<TimeoutException>(() => security.WaitUntilVisibleAsync([xid], checker, ct, timeoutMs: 50));

        await transaction.CommitAsync(ct);
        await security.WaitUntilVisibleAsync([xid], checker, ct, timeoutMs: 60_000);
        await using var count = new NpgsqlCommand("select count(*) from public.notes where title = $1", checker);
        count.Parameters.Add(new NpgsqlParameter { Value = "pending-" + tag });
        Assert.Equal(1L, await count.ExecuteScalarAsync(ct));
    }
}
