using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>Stopping the app closes open Realtime sockets cleanly instead of waiting for the host to abort them.</summary>
public sealed class ShutdownTests(RealtimeEnvironment env)
{
    [Fact]
    public async Task Stopping_the_server_closes_open_sockets_with_going_away_and_does_not_wait_for_the_shutdown_cap()
    {
        // No shutdown cap at all: if the sockets were left open, stopping would never finish and the wait below fails.
        var server = await RealtimeTestServer.StartAsync(env.Postgres.ConnectionString, shutdownTimeout: Timeout.InfiniteTimeSpan);
        await using var client = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon(), "2.0.0");
        await using var idle = await RealtimeTestClient.ConnectAsync(server.Url, TestTokens.Anon());
        await client.SubscribeAsync("realtime:bye-" + Guid.NewGuid().ToString("N")[..8], [new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "notes" }], TestTokens.ServiceRole());

        var hub = server.Service.Hub;
        var stop = server.DisposeAsync().AsTask();
        var first = await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.True(first == stop, $"the server did not stop within 30 s; {hub.ConnectionCount} realtime socket(s) still registered");
        await stop;

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await client.WaitClosedAsync());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await idle.WaitClosedAsync());
    }

    [Fact]
    public async Task The_devstack_host_closes_realtime_sockets_when_it_stops()
    {
        var stack = await DevStackServer.StartAsync(new DevStackOptions { Seed = false, JwtSecret = TestTokens.Secret }, TestContext.Current.CancellationToken);
        await using var client = await RealtimeTestClient.ConnectAsync(stack.Url, stack.AnonKey, "1.0.0");
        await client.JoinAsync("realtime:bye");

        await stack.DisposeAsync();

        // A clean close frame, not the abnormal end (null here, 1006 in a browser) of a socket aborted at the host's
        // 5 s shutdown cap: the close was sent before DisposeAsync returned.
        Assert.True(client.Closed.IsCompleted);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await client.WaitClosedAsync());
    }
}
