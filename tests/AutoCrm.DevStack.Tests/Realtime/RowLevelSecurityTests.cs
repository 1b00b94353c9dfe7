using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Realtime;

public sealed class RowLevelSecurityTests(RealtimeEnvironment env)
{
    private static string Topic() => "realtime:rls-" + Guid.NewGuid().ToString("N")[..8];

    private static JsonArray AllOwned() => [new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "owned" }];

    private static Func<ReceivedFrame, bool> About(params string[] titles) =>
        f => f.Event == "postgres_changes" && titles.Contains((string?)f.Payload!["data"]!["record"]?["title"]);

    private Task InsertAsync(Guid owner, string title, string queue = "none") =>
        env.Postgres.ExecuteAsync("insert into public.owned (owner, queue, title, seq, secret) values ($1, $2, $3, 0, 'classified')", owner, queue, title);

    [Fact]
    public async Task A_customer_receives_their_own_rows_and_none_of_another_customers()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var client = await env.ConnectAsync("2.0.0", TestTokens.Anon());
        await client.SubscribeAsync(Topic(), AllOwned(), TestTokens.User(a));

        await InsertAsync(b, "b1-" + tag);
        await InsertAsync(a, "a1-" + tag);
        await env.Postgres.ExecuteAsync("update public.owned set seq = 1 where owner = $1 or owner = $2", a, b);

        var first = await client.NextAsync(About("b1-" + tag, "a1-" + tag));
        Assert.Equal("a1-" + tag, (string?)first.Payload!["data"]!["record"]!["title"]);
        Assert.Equal("INSERT", (string?)first.Payload!["data"]!["type"]);
        var second = await client.NextAsync(About("b1-" + tag, "a1-" + tag));
        Assert.Equal("a1-" + tag, (string?)second.Payload!["data"]!["record"]!["title"]);
        Assert.Equal("UPDATE", (string?)second.Payload!["data"]!["type"]);

        // The column the role cannot select is dropped from columns, record and old_record.
        var data = second.Payload!["data"]!.AsObject();
        Assert.DoesNotContain("secret", data["columns"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.False(data["record"]!.AsObject().ContainsKey("secret"));
        Assert.False(data["old_record"]!.AsObject().ContainsKey("secret"));
        Assert.Equal(0, (int)data["old_record"]!["seq"]!);
    }

    [Fact]
    public async Task An_agent_receives_only_the_rows_of_their_queues()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        string mine = "q-" + tag, other = "r-" + tag;
        await using var client = await env.ConnectAsync();
        await client.SubscribeAsync(Topic(), AllOwned(), TestTokens.User(Guid.NewGuid(), queues: mine));

        await InsertAsync(Guid.NewGuid(), "other-" + tag, other);
        await InsertAsync(Guid.NewGuid(), "mine-" + tag, mine);

        var first = await client.NextAsync(About("other-" + tag, "mine-" + tag));
        Assert.Equal("mine-" + tag, (string?)first.Payload!["data"]!["record"]!["title"]);
    }

    [Fact]
    public async Task Service_role_bypasses_rls_and_sees_every_column()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var client = await env.ConnectAsync();
        await client.SubscribeAsync(Topic(), AllOwned(), TestTokens.ServiceRole());
        await InsertAsync(Guid.NewGuid(), "svc-" + tag);

        var change = await client.NextAsync(About("svc-" + tag));
        Assert.Equal("classified", (string?)change.Payload!["data"]!["record"]!["secret"]);
    }

    [Fact]
    public async Task Delete_on_an_rls_table_carries_only_the_primary_key()
    {
        Guid a = Guid.NewGuid();
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var client = await env.ConnectAsync();
        await client.SubscribeAsync(Topic(), AllOwned(), TestTokens.User(a));
        await InsertAsync(a, "del-" + tag);
        var insert = await client.NextAsync(About("del-" + tag));
        var id = (string?)insert.Payload!["data"]!["record"]!["id"];

        await env.Postgres.ExecuteAsync("delete from public.owned where title = $1", "del-" + tag);
        var delete = await client.NextAsync(f => f.Event == "postgres_changes" && (string?)f.Payload!["data"]!["old_record"]?["id"] == id);
        Assert.Equal($$"""{"id":"{{id}}"}""", delete.Payload!["data"]!["old_record"]!.ToJsonString());
    }

    [Fact]
    public async Task Switching_the_token_with_access_token_makes_rls_follow_the_new_user()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var client = await env.ConnectAsync("1.0.0");
        var topic = Topic();
        var (joinRef, _) = await client.SubscribeAsync(topic, AllOwned(), TestTokens.User(a));
        await InsertAsync(a, "a1-" + tag);
        await client.NextAsync(About("a1-" + tag));

        await client.SendAsync(joinRef, client.NextRef(), topic, "access_token", new JsonObject { ["access_token"] = TestTokens.User(b) });
        // Frames on one socket are handled in order: once the heartbeat is answered the token switch is done.
        await client.SendAsync(null, "hb", "phoenix", "heartbeat", new JsonObject());
        await client.NextAsync(f => f.Ref == "hb");

        await InsertAsync(a, "a2-" + tag);
        await InsertAsync(b, "b2-" + tag);
        var next = await client.NextAsync(About("a2-" + tag, "b2-" + tag));
        Assert.Equal("b2-" + tag, (string?)next.Payload!["data"]!["record"]!["title"]);
    }

    [Fact]
    public async Task An_expired_access_token_closes_the_channel_with_a_system_error_first()
    {
        await using var client = await env.ConnectAsync("2.0.0");
        var topic = Topic();
        var (joinRef, _) = await client.JoinAsync(topic, accessToken: TestTokens.User(Guid.NewGuid()));
        var expired = TestTokens.Create(new JsonObject { ["role"] = "authenticated", ["exp"] = DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeSeconds() });

        await client.SendAsync(joinRef, "5", topic, "access_token", new JsonObject { ["access_token"] = expired });

        var system = await client.NextAsync(f => f.Event is "system" or "phx_close");
        Assert.Equal("system", system.Event);
        Assert.Equal("system", (string?)system.Payload!["extension"]);
        Assert.Equal("error", (string?)system.Payload!["status"]);
        Assert.StartsWith("Token has expired", (string?)system.Payload!["message"], StringComparison.Ordinal);
        var close = await client.NextAsync(f => f.Event == "phx_close");
        Assert.Equal(joinRef, close.Ref);
    }
}
