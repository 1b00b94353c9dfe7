using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>Idle sockets, token expiry and slow consumers; each test has its own server so its clock and buffers are its own.</summary>
public sealed class RealtimeTimingTests(RealtimeEnvironment env)
{
    [Fact]
    public async Task A_socket_silent_for_60_seconds_is_closed_and_heartbeats_keep_it_open()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, time);
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(time));

        time.Advance(TimeSpan.FromSeconds(40));
        await client.SendAsync(null, "1", "phoenix", "heartbeat", new JsonObject());
        await client.NextAsync(f => f.Ref == "1");
        time.Advance(TimeSpan.FromSeconds(40)); // 80 s since connect, 40 s since the heartbeat
        await client.SendAsync(null, "2", "phoenix", "heartbeat", new JsonObject());
        await client.NextAsync(f => f.Ref == "2");
        Assert.False(client.Closed.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await client.WaitClosedAsync());
    }

    [Fact]
    public async Task A_channel_whose_token_expires_gets_a_system_error_then_phx_close()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, time);
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(time), "2.0.0");
        var topic = "realtime:expiring";
        var (joinRef, _) = await client.JoinAsync(topic, accessToken: TestTokens.User(Guid.NewGuid(), time, TimeSpan.FromSeconds(50)));

        time.Advance(TimeSpan.FromSeconds(49));
        await client.SendAsync(null, "hb", "phoenix", "heartbeat", new JsonObject());
        var beforeExpiry = await client.NextAsync(f => f.Event is "phx_reply" or "system");
        Assert.Equal("phx_reply", beforeExpiry.Event);

        time.Advance(TimeSpan.FromSeconds(2));
        var system = await client.NextAsync(f => f.Event is "system" or "phx_close");
        Assert.Equal("system", system.Event);
        Assert.Equal("error", (string?)system.Payload!["status"]);
        Assert.StartsWith("Token has expired", (string?)system.Payload!["message"], StringComparison.Ordinal);
        Assert.Equal("expiring", (string?)system.Payload!["channel"]);
        var close = await client.NextAsync(f => f.Event == "phx_close");
        Assert.Equal(joinRef, close.Ref);
        Assert.Equal(joinRef, close.JoinRef);
    }

    [Fact]
    public async Task A_slow_consumer_gets_everything_buffered_then_a_system_error_and_is_disconnected()
    {
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, sendBufferFrames: 16, closeTimeout: TimeSpan.FromMinutes(2));
        var topic = "realtime:firehose";
        await using var slow = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        await using var sender = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        await using var bystander = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon());
        await slow.JoinAsync(topic);
        var (senderRef, _) = await sender.JoinAsync(topic);
        await bystander.JoinAsync("realtime:elsewhere");
        slow.PauseReading();

        var pad = new string('x', 32 * 1024);
        const int Count = 2000;
        for (var i = 0; i < Count; i++)
        {
            await sender.SendAsync(senderRef, null, topic, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = "n", ["payload"] = new JsonObject { ["seq"] = i, ["pad"] = pad } });
        }

        // The sender's frames were all handled once this heartbeat is answered.
        await sender.SendAsync(null, "hb", "phoenix", "heartbeat", new JsonObject());
        await sender.NextAsync(f => f.Ref == "hb", TimeSpan.FromSeconds(60));
        slow.ResumeReading();

        var expected = 0;
        while (true)
        {
            var frame = await slow.NextAsync(f => f.Event is "broadcast" or "system");
            if (frame.Event == "system")
            {
                Assert.Equal("error", (string?)frame.Payload!["status"]);
                Assert.Contains("buffer", (string?)frame.Payload!["message"], StringComparison.Ordinal);
                break;
            }

            Assert.Equal(expected, (int)frame.Payload!["payload"]!["seq"]!); // a prefix, no gaps
            expected++;
        }

        Assert.True(expected < Count, "the buffer should have overflowed");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await slow.WaitClosedAsync());

        // Everyone else is still served.
        await bystander.SendAsync(null, "ok", "phoenix", "heartbeat", new JsonObject());
        await bystander.NextAsync(f => f.Ref == "ok");
    }

    [Fact]
    public async Task The_client_presence_window_reopens_after_30_seconds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, time);
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(time), "2.0.0");
        var topic = "realtime:presence-window";
        var (joinRef, _) = await client.JoinAsync(topic);

        for (var i = 1; i <= 10; i++)
        {
            if (i == 6)
            {
                // Five calls used the window opened by the first one; a sixth now would shut the channel down.
                time.Advance(TimeSpan.FromSeconds(31));
            }

            await client.SendAsync(joinRef, "t" + i, topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "track", ["payload"] = new JsonObject { ["n"] = i } });
            var answer = await client.NextAsync(f => f.Ref == "t" + i || f.Event == "system");
            Assert.Equal("phx_reply", answer.Event);
            Assert.Equal("ok", (string?)answer.Payload!["status"]);
        }

        await client.SendAsync(joinRef, "t11", topic, "presence", new JsonObject { ["type"] = "presence", ["event"] = "untrack" });
        var limited = await client.NextAsync(f => f.Ref == "t11" || f.Event == "system");
        Assert.Equal("system", limited.Event);
        Assert.Equal("Client presence rate limit exceeded", (string?)limited.Payload!["message"]);
    }
}
