using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Realtime;

public sealed class BroadcastPresenceTests(RealtimeEnvironment env)
{
    private static string Topic() => "realtime:room-" + Guid.NewGuid().ToString("N")[..8];

    private static JsonObject Message(string @event, JsonNode? payload) =>
        new() { ["type"] = "broadcast", ["event"] = @event, ["payload"] = payload };

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Broadcast_reaches_others_and_the_sender_only_with_self_and_acks_when_asked(string vsn)
    {
        var topic = Topic();
        await using var quiet = await env.ConnectAsync(vsn);
        await using var loud = await env.ConnectAsync(vsn);
        await using var other = await env.ConnectAsync(vsn);
        var (quietRef, _) = await quiet.JoinAsync(topic);
        var (loudRef, _) = await loud.JoinAsync(topic, new JsonObject { ["broadcast"] = new JsonObject { ["self"] = true, ["ack"] = true } });
        await other.JoinAsync(topic);

        await quiet.SendAsync(quietRef, "2", topic, "broadcast", Message("from-quiet", new JsonObject { ["n"] = 1 }));
        await loud.SendAsync(loudRef, "3", topic, "broadcast", Message("from-loud", new JsonObject { ["n"] = 2 }));

        // Two senders on two sockets: the server orders each sender's messages, not one sender against another.
        var atLoud = new List<ReceivedFrame>();
        for (var i = 0; i < 3; i++)
        {
            atLoud.Add(await loud.NextAsync(f => f.Event == "broadcast" || (f.Event == "phx_reply" && f.Ref == "3")));
        }

        Assert.Equal(["from-loud", "from-quiet"], atLoud.Where(f => f.Event == "broadcast").Select(f => (string?)f.Payload!["event"]).Order());
        var ack = Assert.Single(atLoud, f => f.Event == "phx_reply");
        Assert.Equal("""{"status":"ok","response":{}}""", ack.Payload!.ToJsonString());
        var atOther = new[] { await other.NextAsync(f => f.Event == "broadcast"), await other.NextAsync(f => f.Event == "broadcast") };
        var atOther1 = Assert.Single(atOther, f => (string?)f.Payload!["event"] == "from-quiet");
        Assert.Single(atOther, f => (string?)f.Payload!["event"] == "from-loud");
        Assert.Equal("""{"type":"broadcast","event":"from-quiet","payload":{"n":1}}""", atOther1.Payload!.ToJsonString());
        Assert.Null(atOther1.Ref);

        // quiet (self: false) never sees its own message; the first broadcast it gets is loud's.
        var atQuiet = await quiet.NextAsync(f => f.Event is "broadcast" or "phx_reply");
        Assert.Equal("from-loud", (string?)atQuiet.Payload!["event"]);
    }

    [Fact]
    public async Task Binary_broadcast_pushes_of_vsn_2_are_delivered_to_both_serializers()
    {
        var topic = Topic();
        await using var sender = await env.ConnectAsync("2.0.0");
        await using var v2 = await env.ConnectAsync("2.0.0");
        await using var v1 = await env.ConnectAsync("1.0.0");
        var (joinRef, _) = await sender.JoinAsync(topic, new JsonObject { ["broadcast"] = new JsonObject { ["ack"] = true } });
        await v2.JoinAsync(topic);
        await v1.JoinAsync(topic);

        await sender.SendBinaryAsync(Kind3(joinRef, "7", topic, "cursor", 1, """{"x":1}"""u8.ToArray()));
        var ack = await sender.NextAsync(f => f.Event == "phx_reply" && f.Ref == "7");
        Assert.Equal("ok", (string?)ack.Payload!["status"]);
        Assert.Equal("""{"type":"broadcast","event":"cursor","payload":{"x":1}}""", (await v2.NextAsync(f => f.Event == "broadcast")).Payload!.ToJsonString());
        Assert.Equal("""{"type":"broadcast","event":"cursor","payload":{"x":1}}""", (await v1.NextAsync(f => f.Event == "broadcast")).Payload!.ToJsonString());

        await sender.SendBinaryAsync(Kind3(joinRef, "8", topic, "blob", 0, [1, 2, 3, 255]));
        var binary = await v2.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("blob", (string?)binary.Payload!["event"]);
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, binary.Binary);
    }

    private static byte[] Kind3(string joinRef, string @ref, string topic, string @event, byte encoding, byte[] payload)
    {
        var parts = new[] { joinRef, @ref, topic, @event, "" }.Select(Encoding.UTF8.GetBytes).ToArray();
        var frame = new List<byte> { 3 };
        frame.AddRange(parts.Select(p => (byte)p.Length));
        frame.Add(encoding);
        foreach (var p in parts)
        {
            frame.AddRange(p);
        }

        frame.AddRange(payload);
        return [.. frame];
    }

    [Fact]
    public async Task Http_broadcast_answers_202_and_reaches_the_topic()
    {
        var topic = Topic();
        await using var listener = await env.ConnectAsync("2.0.0");
        await listener.JoinAsync(topic);
        using var http = new HttpClient { BaseAddress = env.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent(
                $$"""{"messages":[{"topic":"{{topic["realtime:".Length..]}}","event":"ping","payload":{"hello":"world"},"private":false}]}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Add("apikey", TestTokens.Anon());
        request.Headers.Authorization = new("Bearer", TestTokens.Anon());

        var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var got = await listener.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("""{"type":"broadcast","event":"ping","payload":{"hello":"world"}}""", got.Payload!.ToJsonString());
    }

    private static HttpRequestMessage HttpBroadcast(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", TestTokens.Anon());
        request.Headers.Authorization = new("Bearer", TestTokens.Anon());
        return request;
    }

    [Fact]
    public async Task Http_broadcast_with_a_payload_over_the_limit_is_refused_with_422_and_sends_nothing_of_the_batch()
    {
        var topic = Topic();
        var sub = topic["realtime:".Length..];
        await using var listener = await env.ConnectAsync("1.0.0");
        await listener.JoinAsync(topic);
        using var http = new HttpClient { BaseAddress = env.Url };

        // Realtime's default tenant limit: 3000 kB, compared as 3,000,000 bytes; the valid first message is not sent either.
        var big = new string('x', 3_000_000);
        using var tooBig = HttpBroadcast($$$"""{"messages":[{"topic":"{{{sub}}}","event":"small","payload":{"n":1}},{"topic":"{{{sub}}}","event":"big","payload":{"blob":"{{{big}}}"}}]}""");
        var refused = await http.SendAsync(tooBig, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("""{"errors":{"messages":[{},{"payload":["Payload size exceeds tenant limit"]}]}}""", body.ToJsonString());

        // Just under the limit still goes through; the listener's first broadcast is that one.
        var fits = new string('y', 3_000_000 - """{"blob":""}""".Length);
        using var ok = HttpBroadcast($$$"""{"messages":[{"topic":"{{{sub}}}","event":"fits","payload":{"blob":"{{{fits}}}"}}]}""");
        Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(ok, TestContext.Current.CancellationToken)).StatusCode);
        var received = await listener.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("fits", (string?)received.Payload!["event"]);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_broadcast_push_whose_payload_is_not_an_event_object_is_relayed_as_is(string vsn)
    {
        // Realtime's BroadcastHandler relays any payload; it does not answer with an error.
        var topic = Topic();
        await using var sender = await env.ConnectAsync(vsn);
        await using var listener = await env.ConnectAsync(vsn);
        var (joinRef, _) = await sender.JoinAsync(topic, new JsonObject { ["broadcast"] = new JsonObject { ["ack"] = true } });
        await listener.JoinAsync(topic);

        JsonNode?[] payloads = [JsonValue.Create("just text"), new JsonArray(1, 2), new JsonObject { ["type"] = "broadcast", ["payload"] = new JsonObject { ["no"] = "event" } }];
        for (var i = 0; i < payloads.Length; i++)
        {
            var @ref = "p" + i;
            await sender.SendAsync(joinRef, @ref, topic, "broadcast", payloads[i]?.DeepClone());
            var reply = await sender.NextAsync(f => f.Ref == @ref);
            Assert.Equal("ok", (string?)reply.Payload!["status"]);
            var got = await listener.NextAsync(f => f.Event == "broadcast");
            Assert.Equal(payloads[i]!.ToJsonString(), got.Payload!.ToJsonString());
        }
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task Presence_state_after_join_then_diffs_for_track_untrack_leave_and_disconnect(string vsn)
    {
        var topic = Topic();
        JsonObject Presence(string key) => new() { ["presence"] = new JsonObject { ["key"] = key, ["enabled"] = true } };
        await using var alice = await env.ConnectAsync(vsn);
        var (aliceRef, _) = await alice.JoinAsync(topic, Presence("alice"));
        Assert.Equal("{}", (await alice.NextAsync(f => f.Event == "presence_state")).Payload!.ToJsonString());
        await alice.SendAsync(aliceRef, "2", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["user"] = "alice" } });
        Assert.Equal("ok", (string?)(await alice.NextAsync(f => f.Ref == "2")).Payload!["status"]);
        var ownDiff = await alice.NextAsync(f => f.Event == "presence_diff");
        Assert.Equal("alice", (string?)ownDiff.Payload!["joins"]!["alice"]!["metas"]![0]!["user"]);

        await using var bob = await env.ConnectAsync(vsn);
        var (bobRef, _) = await bob.JoinAsync(topic, Presence("bob"));
        var state = (await bob.NextAsync(f => f.Event == "presence_state")).Payload!;
        var aliceMeta = state["alice"]!["metas"]![0]!;
        Assert.Equal("alice", (string?)aliceMeta["user"]);
        Assert.False(string.IsNullOrEmpty((string?)aliceMeta["phx_ref"]));

        await bob.SendAsync(bobRef, "2", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["user"] = "bob" } });
        var join = await alice.NextAsync(f => f.Event == "presence_diff");
        Assert.Equal("bob", (string?)join.Payload!["joins"]!["bob"]!["metas"]![0]!["user"]);
        Assert.Equal("{}", join.Payload!["leaves"]!.ToJsonString());

        await bob.SendAsync(bobRef, "3", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "untrack" });
        var untrack = await alice.NextAsync(f => f.Event == "presence_diff");
        Assert.Equal("bob", (string?)untrack.Payload!["leaves"]!["bob"]!["metas"]![0]!["user"]);

        await bob.SendAsync(bobRef, "4", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = JsonValue.Create("nope") });
        Assert.Equal("""{"status":"error","response":{"reason":"Presence track payload must be a map"}}""", (await bob.NextAsync(f => f.Ref == "4")).Payload!.ToJsonString());

        // alice's socket goes away: bob sees her leave.
        alice.Socket.Abort();
        var gone = await bob.NextAsync(f => f.Event == "presence_diff" && f.Payload!["leaves"]!.AsObject().ContainsKey("alice"));
        Assert.Equal("alice", (string?)gone.Payload!["leaves"]!["alice"]!["metas"]![0]!["user"]);
    }

    [Fact]
    public async Task Tracking_again_replaces_the_meta_with_phx_ref_prev()
    {
        var topic = Topic();
        await using var client = await env.ConnectAsync();
        var (joinRef, _) = await client.JoinAsync(topic, new JsonObject { ["presence"] = new JsonObject { ["key"] = "k" } });
        await client.SendAsync(joinRef, "2", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["v"] = 1 } });
        var first = await client.NextAsync(f => f.Event == "presence_diff");
        await client.SendAsync(joinRef, "3", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["v"] = 2 } });
        var second = await client.NextAsync(f => f.Event == "presence_diff");

        var firstRef = (string?)first.Payload!["joins"]!["k"]!["metas"]![0]!["phx_ref"];
        Assert.Equal(2, (int)second.Payload!["joins"]!["k"]!["metas"]![0]!["v"]!);
        Assert.Equal(firstRef, (string?)second.Payload!["joins"]!["k"]!["metas"]![0]!["phx_ref_prev"]);
        Assert.Equal(firstRef, (string?)second.Payload!["leaves"]!["k"]!["metas"]![0]!["phx_ref"]);
    }

    private static JsonObject Presence(string @event, JsonNode? payload = null)
    {
        var message = new JsonObject { ["type"] = "presence", ["event"] = @event };
        if (payload is not null)
        {
            message["payload"] = payload;
        }

        return message;
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("2.0.0")]
    public async Task A_broadcast_over_the_payload_limit_reaches_no_one_and_is_refused_with_ack(string vsn)
    {
        var topic = Topic();
        await using var sender = await env.ConnectAsync(vsn);
        await using var listener = await env.ConnectAsync(vsn);
        var (joinRef, _) = await sender.JoinAsync(topic, new JsonObject { ["broadcast"] = new JsonObject { ["ack"] = true } });
        await listener.JoinAsync(topic);

        // Realtime's default tenant limit: 3000 kB, compared as 3,000,000 bytes.
        var big = new string('x', 3_000_000);
        await sender.SendAsync(joinRef, "2", topic, "broadcast", Message("big", new JsonObject { ["blob"] = big }));
        var refused = await sender.NextAsync(f => f.Ref == "2");
        Assert.Equal("""{"status":"error","response":"payload_size_exceeded"}""", refused.Payload!.ToJsonString());

        // The socket and the topic keep working; the listener's first broadcast is the small one.
        await sender.SendAsync(joinRef, "3", topic, "broadcast", Message("small", new JsonObject { ["n"] = 1 }));
        Assert.Equal("ok", (string?)(await sender.NextAsync(f => f.Ref == "3")).Payload!["status"]);
        var received = await listener.NextAsync(f => f.Event == "broadcast");
        Assert.Equal("small", (string?)received.Payload!["event"]);
    }

    [Fact]
    public async Task An_oversized_broadcast_without_ack_is_dropped_silently()
    {
        var topic = Topic();
        await using var sender = await env.ConnectAsync("2.0.0");
        await using var listener = await env.ConnectAsync("1.0.0");
        var (joinRef, _) = await sender.JoinAsync(topic);
        await listener.JoinAsync(topic);

        await sender.SendAsync(joinRef, "2", topic, "broadcast", Message("big", new JsonObject { ["blob"] = new string('y', 3_000_001) }));
        await sender.SendAsync(joinRef, "3", topic, "broadcast", Message("small", new JsonObject()));
        await sender.SendAsync(null, "hb", "phoenix", "heartbeat", new JsonObject());

        // Frames of one socket are answered in order: nothing came back for ref 2 before the heartbeat's reply.
        var first = await sender.NextAsync(f => f.Ref is "2" or "hb");
        Assert.Equal("hb", first.Ref);
        Assert.Equal("small", (string?)(await listener.NextAsync(f => f.Event == "broadcast")).Payload!["event"]);
    }

    [Fact]
    public async Task A_sixth_presence_push_within_30_seconds_shuts_that_channel_down_only()
    {
        var topic = Topic();
        await using var client = await env.ConnectAsync("2.0.0");
        await using var watcher = await env.ConnectAsync("1.0.0");
        var (joinRef, _) = await client.JoinAsync(topic, new JsonObject { ["presence"] = new JsonObject { ["key"] = "busy" } });
        var other = Topic();
        var (otherRef, _) = await client.JoinAsync(other);
        await watcher.JoinAsync(topic);

        for (var i = 1; i <= 5; i++)
        {
            await client.SendAsync(joinRef, "t" + i, topic, "presence", Presence("track", new JsonObject { ["n"] = i }));
            Assert.Equal("ok", (string?)(await client.NextAsync(f => f.Ref == "t" + i)).Payload!["status"]);
        }

        await client.SendAsync(joinRef, "t6", topic, "presence", Presence("track", new JsonObject { ["n"] = 6 }));
        var system = await client.NextAsync(f => f.Topic == topic && f.Event is "system" or "phx_reply" && f.Ref is null or "t6");
        Assert.Equal("system", system.Event);
        Assert.Equal("error", (string?)system.Payload!["status"]);
        Assert.Equal("Client presence rate limit exceeded", (string?)system.Payload!["message"]);
        Assert.Equal(joinRef, (await client.NextAsync(f => f.Topic == topic && f.Event == "phx_close")).Ref);

        // The shut channel's presence left; the other channel on the same socket still answers.
        var leave = await watcher.NextAsync(f => f.Event == "presence_diff" && f.Payload!["leaves"]!.AsObject().ContainsKey("busy")
            && f.Payload!["joins"]!.AsObject().Count == 0);
        Assert.Equal(5, (int)leave.Payload!["leaves"]!["busy"]!["metas"]![0]!["n"]!);
        await client.SendAsync(otherRef, "p", other, "presence", Presence("untrack"));
        Assert.Equal("ok", (string?)(await client.NextAsync(f => f.Ref == "p")).Payload!["status"]);
    }

    [Fact]
    public async Task Presence_pushes_without_an_event_are_no_ops_and_unknown_ones_get_an_error()
    {
        var topic = Topic();
        await using var client = await env.ConnectAsync();
        var (joinRef, _) = await client.JoinAsync(topic);

        await client.SendAsync(joinRef, "1", topic, "presence", new JsonObject { ["type"] = "presence" });
        Assert.Equal("""{"status":"ok","response":{}}""", (await client.NextAsync(f => f.Ref == "1")).Payload!.ToJsonString());
        await client.SendAsync(joinRef, "2", topic, "presence", Presence("wave"));
        Assert.Equal("""{"status":"error","response":{}}""", (await client.NextAsync(f => f.Ref == "2")).Payload!.ToJsonString());
    }

    [Fact]
    public async Task Tracking_the_same_state_again_sends_no_presence_diff()
    {
        var topic = Topic();
        await using var client = await env.ConnectAsync();
        var (joinRef, _) = await client.JoinAsync(topic, new JsonObject { ["presence"] = new JsonObject { ["key"] = "same" } });
        await client.SendAsync(joinRef, "1", topic, "presence", Presence("track", new JsonObject { ["v"] = 1 }));
        await client.NextAsync(f => f.Event == "presence_diff");
        await client.SendAsync(joinRef, "2", topic, "presence", Presence("track", new JsonObject { ["v"] = 1 }));
        await client.SendAsync(joinRef, "3", topic, "presence", Presence("track", new JsonObject { ["v"] = 2 }));

        // The next diff is the change to v = 2, not a repeat of v = 1.
        var next = await client.NextAsync(f => f.Event == "presence_diff");
        Assert.Equal(2, (int)next.Payload!["joins"]!["same"]!["metas"]![0]!["v"]!);
    }

    [Fact]
    public async Task A_track_over_the_payload_limit_shuts_the_channel_down_with_a_system_error()
    {
        var topic = Topic();
        await using var client = await env.ConnectAsync("2.0.0");
        var (joinRef, _) = await client.JoinAsync(topic);

        await client.SendAsync(joinRef, "1", topic, "presence", Presence("track", new JsonObject { ["blob"] = new string('z', 3_000_000) }));
        var system = await client.NextAsync(f => f.Event is "system" or "phx_reply" or "presence_diff");
        Assert.Equal("system", system.Event);
        Assert.Equal("Track message size exceeded", (string?)system.Payload!["message"]);
        Assert.Equal(joinRef, (await client.NextAsync(f => f.Event == "phx_close")).Ref);

        await client.SendAsync(null, "hb", "phoenix", "heartbeat", new JsonObject());
        Assert.Equal("ok", (string?)(await client.NextAsync(f => f.Ref == "hb")).Payload!["status"]);
    }
}
