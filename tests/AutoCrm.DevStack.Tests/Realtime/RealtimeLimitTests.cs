using System.Net.WebSockets;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Realtime;
using AutoCrm.DevStack.Realtime.Filters;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>
/// What one socket may use (channels, joins per second, bindings, filter work), each test with its own server and small
/// limits; the clock is fake where a rate is involved, so nothing depends on how fast the machine is.
/// </summary>
public sealed class RealtimeLimitTests(RealtimeEnvironment env)
{
    private static string Topic() => "realtime:limits-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_socket_past_its_joins_per_second_is_refused_as_on_realtime_and_disconnected()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, time, limits: new RealtimeLimits { MaxJoinsPerSecond = 2 });
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(time), "2.0.0");
        await using var bystander = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(time), "2.0.0");

        Assert.Equal("ok", (string?)(await client.JoinAsync(Topic())).Reply["status"]);
        Assert.Equal("ok", (string?)(await client.JoinAsync(Topic())).Reply["status"]);
        var (_, third) = await client.JoinAsync(Topic());

        Assert.Equal("error", (string?)third["status"]);
        Assert.Equal("ClientJoinRateLimitReached: Too many joins per second", (string?)third["response"]!["reason"]);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await client.WaitClosedAsync());

        // The limit is the socket's own: another socket still joins.
        Assert.Equal("ok", (string?)(await bystander.JoinAsync(Topic())).Reply["status"]);
    }

    [Fact]
    public async Task Joins_per_second_refill_with_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, time, limits: new RealtimeLimits { MaxJoinsPerSecond = 2 });
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(time), "2.0.0");

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("ok", (string?)(await client.JoinAsync(Topic())).Reply["status"]);
            if (i % 2 == 1)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }
        }
    }

    [Fact]
    public async Task A_socket_at_its_channel_limit_is_refused_more_channels_but_keeps_those_it_has()
    {
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, limits: new RealtimeLimits { MaxChannelsPerClient = 2 });
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        var first = Topic();
        Assert.Equal("ok", (string?)(await client.JoinAsync(first)).Reply["status"]);
        Assert.Equal("ok", (string?)(await client.JoinAsync(Topic())).Reply["status"]);

        var (_, refused) = await client.JoinAsync(Topic());
        Assert.Equal("error", (string?)refused["status"]);
        Assert.Equal("ChannelRateLimitReached: Too many channels", (string?)refused["response"]!["reason"]);

        // Rejoining a topic it has replaces that channel, and leaving one makes room.
        Assert.Equal("ok", (string?)(await client.JoinAsync(first)).Reply["status"]);
        var (joinRef, _) = await client.JoinAsync(first);
        await client.SendAsync(joinRef, "leave-1", first, "phx_leave", new JsonObject());
        await client.NextAsync(f => f.Ref == "leave-1");
        Assert.Equal("ok", (string?)(await client.JoinAsync(Topic())).Reply["status"]);
        Assert.False(client.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_channel_with_more_bindings_than_allowed_is_refused()
    {
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, limits: new RealtimeLimits { MaxBindingsPerChannel = 2 });
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        JsonArray Bindings(int n) => [.. Enumerable.Range(0, n).Select(i => (JsonNode)new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "notes", ["filter"] = $"rank=eq.{i}" })];

        var (_, refused) = await client.JoinAsync(Topic(), new JsonObject { ["postgres_changes"] = Bindings(3) });
        Assert.Equal("error", (string?)refused["status"]);
        Assert.Equal("TooManyBindings: a channel may have at most 2 postgres_changes bindings, got 3", (string?)refused["response"]!["reason"]);

        await client.SubscribeAsync(Topic(), Bindings(2));
    }

    [Fact]
    public async Task One_change_needing_more_filter_work_than_a_socket_may_use_closes_the_channels_past_the_budget()
    {
        var title = "filter-budget " + new string('y', 200) + Guid.NewGuid().ToString("N");
        var filter = "title=like.%filter-budget%";

        // The budget fits one evaluation of the filter on this title, not two.
        long measured = long.MaxValue;
        Assert.True(Assert.Single(FilterCondition.ParseAll(filter)).Evaluate(title, "text", ref measured) == FilterResult.Pass);
        var one = long.MaxValue - measured;
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, limits: new RealtimeLimits { MaxFilterWorkPerChange = one + (one / 2) });
        await using var greedy = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        await using var bystander = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        JsonArray Binding() => [new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "notes", ["filter"] = filter }];
        var topics = new[] { Topic(), Topic() };
        foreach (var topic in topics)
        {
            await greedy.SubscribeAsync(topic, Binding());
        }

        await bystander.SubscribeAsync(Topic(), Binding());

        await env.Postgres.ExecuteAsync("insert into public.notes (title) values ($1)", title);

        // The bystander has its own budget; of the greedy socket's two channels one gets the change, the other is closed
        // with a system error (never silently left without it).
        Assert.Equal(title, (string?)(await bystander.NextAsync(f => f.Event == "postgres_changes")).Payload!["data"]!["record"]!["title"]);
        var delivered = await greedy.NextAsync(f => f.Event == "postgres_changes");
        Assert.Equal(title, (string?)delivered.Payload!["data"]!["record"]!["title"]);
        var error = await greedy.NextAsync(f => f.Event == "system" && (string?)f.Payload!["status"] == "error");
        Assert.StartsWith("Too much filter work for one change on this connection", (string?)error.Payload!["message"], StringComparison.Ordinal);
        Assert.Equal(topics.Single(t => t != delivered.Topic), error.Topic);
        await greedy.NextAsync(f => f.Event == "phx_close" && f.Topic == error.Topic);
    }

    [Fact]
    public async Task A_filter_on_a_column_the_role_may_not_select_is_refused()
    {
        await using var client = await env.ConnectAsync("2.0.0");
        var topic = Topic();
        await client.JoinAsync(topic, new JsonObject
        {
            ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "owned", ["filter"] = "secret=eq.x" }),
        }, TestTokens.User(Guid.NewGuid()));

        var system = await client.NextAsync(f => f.Event == "system" && f.Topic == topic);
        Assert.Equal("error", (string?)system.Payload!["status"]);
        Assert.Equal("Error parsing `filter` params: invalid column for filter secret", (string?)system.Payload!["message"]);
    }
}
