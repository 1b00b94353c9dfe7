using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Realtime;

public sealed class RealtimeProtocolTests(RealtimeEnvironment env)
{
    private static string Topic() => "realtime:room-" + Guid.NewGuid().ToString("N")[..8];

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Heartbeat_is_answered_on_phoenix_with_the_same_ref(string vsn)
    {
        await using var client = await env.ConnectAsync(vsn);
        await client.SendAsync(null, "hb-7", "phoenix", "heartbeat", new JsonObject());

        var reply = await client.NextAsync(f => f.Event == "phx_reply");

        Assert.Equal("phoenix", reply.Topic);
        Assert.Equal("hb-7", reply.Ref);
        Assert.Equal("""{"status":"ok","response":{}}""", reply.Payload!.ToJsonString());
        Assert.False(reply.HasJoinRefKey);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Join_reply_echoes_bindings_in_order_with_the_same_keys_and_ids(string vsn)
    {
        await using var client = await env.ConnectAsync(vsn);
        var bindings = new JsonArray(
            new JsonObject { ["event"] = "UPDATE", ["schema"] = "public", ["table"] = "notes", ["filter"] = "id=eq.1" },
            new JsonObject { ["event"] = "*", ["schema"] = "public" },
            new JsonObject { ["event"] = "INSERT", ["schema"] = "public", ["table"] = "plain" });
        var config = new JsonObject
        {
            ["broadcast"] = new JsonObject { ["ack"] = "false", ["self"] = "true", ["replay"] = new JsonObject() },
            ["presence"] = new JsonObject { ["key"] = "", ["enabled"] = "false" },
            ["postgres_changes"] = bindings,
            ["private"] = "false",
            ["version"] = "9.9.9",
        };

        var topic = Topic();
        var (joinRef, reply) = await client.JoinAsync(topic, config);

        Assert.Equal("ok", (string?)reply["status"]);
        var echoed = reply["response"]!["postgres_changes"]!.AsArray();
        Assert.Equal(3, echoed.Count);
        for (var i = 0; i < 3; i++)
        {
            var sent = bindings[i]!.AsObject();
            var got = echoed[i]!.AsObject();
            Assert.True(got["id"] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number);
            Assert.Equal(sent.Select(p => p.Key).Order(), got.Where(p => p.Key != "id").Select(p => p.Key).Order());
            foreach (var (key, value) in sent)
            {
                Assert.Equal(value!.ToJsonString(), got[key]!.ToJsonString());
            }
        }

        Assert.False(echoed[1]!.AsObject().ContainsKey("table"));
        Assert.False(echoed[1]!.AsObject().ContainsKey("filter"));
        var system = await client.NextAsync(f => f.Event == "system" && f.Topic == topic);
        Assert.Equal("Subscribed to PostgreSQL", (string?)system.Payload!["message"]);
        Assert.Equal(topic["realtime:".Length..], (string?)system.Payload!["channel"]);
        if (client.IsV2)
        {
            Assert.Equal(joinRef, system.JoinRef);
        }
    }

    [Fact]
    public async Task Tokens_valid_for_years_like_the_demo_keys_are_accepted()
    {
        var key = TestTokens.Create(new System.Text.Json.Nodes.JsonObject { ["iss"] = "supabase-demo", ["role"] = "anon", ["exp"] = 1983812996 });
        await using var client = await env.ConnectAsync("2.0.0", key);
        var (_, reply) = await client.JoinAsync(Topic(), accessToken: key);
        Assert.Equal("ok", (string?)reply["status"]);
    }

    [Fact]
    public async Task Join_without_postgres_changes_replies_an_empty_list()
    {
        await using var client = await env.ConnectAsync();
        var (_, reply) = await client.JoinAsync(Topic());
        Assert.Equal("""{"status":"ok","response":{"postgres_changes":[]}}""", reply.ToJsonString());
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { TestTokens.Create(new JsonObject { ["role"] = "anon", ["exp"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds() }), "InvalidJWTToken: Token has expired " },
        { TestTokens.Create(new JsonObject { ["role"] = "anon" }, secret: "another-secret-another-secret-another-secret"), "JwtSignatureError: Failed to validate JWT signature" },
        { "not-a-jwt", "MalformedJWT: The token provided is not a valid JWT" },
        { TestTokens.Create(new JsonObject { ["sub"] = "x" }), "InvalidJWTToken: Fields `role` and `exp` are required in JWT" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Join_with_a_bad_access_token_is_refused_with_realtimes_reason(string token, string reasonPrefix)
    {
        await using var client = await env.ConnectAsync("2.0.0");
        var (_, reply) = await client.JoinAsync(Topic(), accessToken: token);
        Assert.Equal("error", (string?)reply["status"]);
        Assert.StartsWith(reasonPrefix, (string?)reply["response"]!["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Topic_without_a_name_and_private_channels_without_a_read_policy_are_refused()
    {
        await using var client = await env.ConnectAsync();
        var (_, empty) = await client.JoinAsync("realtime:");
        Assert.Equal("TopicNameRequired: You must provide a topic name", (string?)empty["response"]!["reason"]);

        // No policy on realtime.messages grants read (this scratch database has not even the table): Realtime's refusal.
        var topic = Topic();
        var (_, @private) = await client.JoinAsync(topic, new JsonObject { ["private"] = true });
        Assert.Equal("error", (string?)@private["status"]);
        Assert.Equal($"Unauthorized: You do not have permissions to read from this Channel topic: {topic["realtime:".Length..]}", (string?)@private["response"]!["reason"]);
    }

    [Fact]
    public async Task Socket_upgrade_with_a_bad_apikey_is_refused_with_401()
    {
        using var http = new HttpClient { BaseAddress = env.Url };
        var missing = await http.GetAsync("/realtime/v1/websocket?vsn=1.0.0", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("""{"error":"API key is missing"}""", await missing.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        var expired = TestTokens.Create(new JsonObject { ["role"] = "anon", ["exp"] = 1000 });
        var response = await http.GetAsync($"/realtime/v1/websocket?vsn=1.0.0&apikey={expired}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Token has expired", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        await Assert.ThrowsAsync<WebSocketException>(() => RealtimeTestClient.ConnectAsync(env.Url, "garbage"));
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_repeated_query_key_counts_with_its_last_value_as_on_Realtime(string vsn)
    {
        // realtime-js appends its own vsn after the app's params (which may carry another vsn, or an apikey).
        var other = vsn == "1.0.0" ? "2.0.0" : "1.0.0";
        await using var client = await RealtimeTestClient.ConnectAsync(env.Url, TestTokens.Anon(), vsn, queryPrefix: $"vsn={other}&apikey=garbage&");
        await client.SendAsync(null, "hb-1", "phoenix", "heartbeat", new JsonObject());

        var reply = await client.NextAsync(f => f.Event == "phx_reply");

        Assert.Equal("hb-1", reply.Ref);
        Assert.Equal("ok", (string?)reply.Payload!["status"]);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Leave_replies_ok_then_closes_with_the_join_ref(string vsn)
    {
        await using var client = await env.ConnectAsync(vsn);
        var topic = Topic();
        var (joinRef, _) = await client.JoinAsync(topic);
        await client.SendAsync(joinRef, "9", topic, "phx_leave", new JsonObject());

        var reply = await client.NextAsync(f => f.Event == "phx_reply" && f.Ref == "9");
        Assert.Equal("ok", (string?)reply.Payload!["status"]);
        var close = await client.NextAsync(f => f.Event == "phx_close");
        Assert.Equal(joinRef, close.Ref);
        Assert.Equal("{}", close.Payload!.ToJsonString());

        await client.SendAsync(joinRef, "10", topic, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "x", ["payload"] = new JsonObject() });
        var unmatched = await client.NextAsync(f => f.Ref == "10");
        Assert.Equal("""{"status":"error","response":{"reason":"unmatched topic"}}""", unmatched.Payload!.ToJsonString());
    }

    [Fact]
    public async Task Rejoining_a_topic_closes_the_old_channel_and_keeps_one()
    {
        await using var client = await env.ConnectAsync("2.0.0");
        await using var sender = await env.ConnectAsync("2.0.0");
        var topic = Topic();
        var (first, _) = await client.JoinAsync(topic);
        await client.SendAsync("2", "2", topic, "phx_join", new JsonObject { ["config"] = new JsonObject() });
        var close = await client.NextAsync(f => f.Event is "phx_close" or "phx_reply");
        Assert.Equal("phx_close", close.Event);
        Assert.Equal(first, close.JoinRef);
        Assert.Equal(first, close.Ref);
        var reply = await client.NextAsync(f => f.Event == "phx_reply");
        Assert.Equal("2", reply.Ref);
        Assert.Equal("ok", (string?)reply.Payload!["status"]);

        var (senderRef, _) = await sender.JoinAsync(topic);
        await sender.SendAsync(senderRef, "2", topic, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "one", ["payload"] = new JsonObject() });
        await sender.SendAsync(senderRef, "3", topic, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "two", ["payload"] = new JsonObject() });
        var got = await client.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("one", (string?)got.Payload!["event"]);
        var next = await client.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("two", (string?)next.Payload!["event"]); // "one" was delivered once, not once per join
    }

    [Theory]
    [InlineData("id=like", "Error parsing `filter` params")]
    [InlineData("id=between.1", "Error parsing `filter` params")]
    [InlineData("nope=eq.1", "Error parsing `filter` params")]
    [InlineData("rank=eq.abc", "Error parsing `filter` params")]
    [InlineData("rank=like.1%", "Error parsing `filter` params: operator like requires a text-compatible column type")]
    [InlineData("title=match.(oops", "Error parsing `filter` params: invalid regular expression for match filter")]
    [InlineData("title=is.true", "Error parsing `filter` params: is true filter requires a boolean column")]
    [InlineData("rank=isdistinct.x", "Error parsing `filter` params: invalid input syntax for type int4")]
    public async Task Bad_filters_get_a_postgres_changes_system_error(string filter, string messagePrefix)
    {
        await using var client = await env.ConnectAsync();
        var topic = Topic();
        var (_, reply) = await client.JoinAsync(topic, new JsonObject
        {
            ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "notes", ["filter"] = filter }),
        });
        Assert.Equal("ok", (string?)reply["status"]);
        var system = await client.NextAsync(f => f.Event == "system");
        Assert.Equal("error", (string?)system.Payload!["status"]);
        Assert.Equal("postgres_changes", (string?)system.Payload!["extension"]);
        Assert.StartsWith(messagePrefix, (string?)system.Payload!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_outside_the_publication_cannot_be_subscribed()
    {
        await using var client = await env.ConnectAsync();
        await client.JoinAsync(Topic(), new JsonObject
        {
            ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "missing_table" }),
        });
        var system = await client.NextAsync(f => f.Event == "system");
        Assert.Equal("error", (string?)system.Payload!["status"]);
        Assert.StartsWith("Unable to subscribe to changes with given parameters.", (string?)system.Payload!["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.0.0", "{not json", WebSocketMessageType.Text)]
    [InlineData("1.0.0", """{"topic":5,"event":"phx_join","payload":{},"ref":"1"}""", WebSocketMessageType.Text)]
    [InlineData("1.0.0", """["1","1","realtime:x","phx_join",{}]""", WebSocketMessageType.Text)]
    [InlineData("2.0.0", """{"topic":"realtime:x","event":"phx_join","payload":{},"ref":"1"}""", WebSocketMessageType.Text)]
    [InlineData("2.0.0", "\u0007garbage", WebSocketMessageType.Binary)]
    public async Task Malformed_frames_close_only_that_socket(string vsn, string frame, WebSocketMessageType type)
    {
        await using var bystander = await env.ConnectAsync(vsn);
        await using var client = await env.ConnectAsync(vsn);
        if (type == WebSocketMessageType.Binary)
        {
            await client.SendBinaryAsync(System.Text.Encoding.UTF8.GetBytes(frame));
        }
        else
        {
            await client.SendTextAsync(frame);
        }

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await client.WaitClosedAsync());

        await bystander.SendAsync(null, "1", "phoenix", "heartbeat", new JsonObject());
        Assert.Equal("1", (await bystander.NextAsync(f => f.Event == "phx_reply")).Ref);
    }

    [Fact]
    public async Task An_oversized_frame_closes_that_socket_with_1009()
    {
        await using var bystander = await env.ConnectAsync();
        await using var client = await env.ConnectAsync();
        var big = new string('x', 5 * 1024 * 1024); // over the 4 MiB websocket message limit (payload limits are smaller, see BroadcastPresenceTests)
        await client.SendTextAsync($$"""{"topic":"phoenix","event":"heartbeat","payload":{"pad":"{{big}}"},"ref":"1"}""");

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitClosedAsync());
        await bystander.SendAsync(null, "1", "phoenix", "heartbeat", new JsonObject());
        Assert.Equal("1", (await bystander.NextAsync(f => f.Event == "phx_reply")).Ref);
    }

    [Fact]
    public async Task Unknown_events_are_ignored_any_broadcast_payload_is_relayed_and_a_bad_join_gets_an_error_reply()
    {
        await using var client = await env.ConnectAsync("2.0.0");
        var topic = Topic();
        var (joinRef, _) = await client.JoinAsync(topic, new JsonObject { ["broadcast"] = new JsonObject { ["self"] = true } });

        // Realtime's catch-all handle_in logs an unexpected event and answers nothing; the channel stays joined.
        await client.SendAsync(joinRef, "5", topic, "dance", new JsonObject());
        await client.SendAsync(joinRef, "5b", topic, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "still-here", ["payload"] = new JsonObject() });
        var afterUnknown = await client.NextAsync(f => f.Ref == "5" || f.Event == "broadcast");
        Assert.Equal("broadcast", afterUnknown.Event);
        Assert.Equal("still-here", (string?)afterUnknown.Payload!["event"]);

        // Realtime relays a broadcast push whatever its payload (no error reply): 42 comes back to the sender (self).
        await client.SendAsync(joinRef, "6", topic, "broadcast", JsonValue.Create(42));
        var relayed = await client.NextAsync(f => f.Ref == "6" || f.Event == "broadcast");
        Assert.Equal("broadcast", relayed.Event);
        Assert.Equal("42", relayed.Payload!.ToJsonString());

        await client.SendAsync("77", "7", Topic(), "phx_join", JsonValue.Create("config"));
        var badJoin = await client.NextAsync(f => f.Ref == "7");
        Assert.Equal("error", (string?)badJoin.Payload!["status"]);

        await client.SendAsync(null, "8", "phoenix", "heartbeat", new JsonObject());
        Assert.Equal("ok", (string?)(await client.NextAsync(f => f.Ref == "8")).Payload!["status"]);
    }

    [Fact]
    public async Task DropConnections_closes_every_socket_abruptly()
    {
        // Its own server: dropping every socket of the shared one would disturb the other tests.
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString);
        await using var a = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon());
        await using var b = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        await a.JoinAsync(Topic());
        await b.JoinAsync(Topic());

        Assert.Equal(2, server.DropConnections());

        Assert.Null(await a.WaitClosedAsync());
        Assert.Null(await b.WaitClosedAsync());
    }
}
