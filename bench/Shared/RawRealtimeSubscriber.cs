using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.Benchmarks.Shared;

/// <summary>
/// A bare Phoenix client for benchmarks (linked into each bench project): one websocket subscribed to every
/// <c>postgres_changes</c> of <c>public.tickets</c> with a user's token, heartbeats every 25 s, and a callback per
/// change with the moment its frame was read. No SDK in the path: it is the baseline the SDK and the server are
/// measured against.
/// </summary>
internal sealed class RawRealtimeSubscriber : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _v2;
    private readonly Action<JsonElement, DateTimeOffset> _onChange;
    private Task _loop = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;

    private RawRealtimeSubscriber(bool v2, Action<JsonElement, DateTimeOffset> onChange)
    {
        _v2 = v2;
        _onChange = onChange;
    }

    /// <summary>Connects, joins, and returns once the server confirmed "Subscribed to PostgreSQL" (30 s at most).</summary>
    /// <param name="onChange">Called on the read loop with each change's payload (<c>{ids, data}</c>) and its receive time.</param>
    public static async Task<RawRealtimeSubscriber> ConnectAsync(
        Uri apiUrl, string apiKey, string accessToken, string vsn, Action<JsonElement, DateTimeOffset> onChange)
    {
        var subscriber = new RawRealtimeSubscriber(vsn == "2.0.0", onChange);
        var uri = new UriBuilder(apiUrl) { Scheme = "ws", Path = "/realtime/v1/websocket", Query = $"apikey={apiKey}&vsn={vsn}" }.Uri;
        await subscriber._socket.ConnectAsync(uri, CancellationToken.None);
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber._loop = Task.Run(() => subscriber.ReadAsync(subscribed));
        var topic = "realtime:bench-" + Guid.NewGuid().ToString("N")[..8];
        var payload = new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "tickets" }),
            },
            ["access_token"] = accessToken,
        };
        await subscriber.SendAsync("1", "1", topic, "phx_join", payload);
        await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        subscriber._heartbeat = Task.Run(subscriber.HeartbeatAsync);
        return subscriber;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        await Task.WhenAll(_loop, _heartbeat).ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _stop.Dispose();
    }

    private Task SendAsync(string? joinRef, string? @ref, string topic, string @event, JsonNode payload)
    {
        var text = _v2
            ? new JsonArray(joinRef, @ref, topic, @event, payload).ToJsonString()
            : new JsonObject { ["topic"] = topic, ["event"] = @event, ["payload"] = payload, ["ref"] = @ref, ["join_ref"] = joinRef }.ToJsonString();
        return _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
    }

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(25));
        try
        {
            var n = 0;
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await SendAsync(null, "hb" + n++, "phoenix", "heartbeat", new JsonObject());
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task ReadAsync(TaskCompletionSource subscribed)
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                var receivedAt = DateTimeOffset.UtcNow;
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                using var document = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length));
                var node = document.RootElement;
                var (@event, payload) = _v2 ? (node[3].GetString(), node[4]) : (node.GetProperty("event").GetString(), node.GetProperty("payload"));
                if (@event == "postgres_changes")
                {
                    _onChange(payload, receivedAt);
                }
                else if (@event == "system" && payload.GetProperty("message").GetString() == "Subscribed to PostgreSQL")
                {
                    subscribed.TrySetResult();
                }
                else if (@event == "system")
                {
                    subscribed.TrySetException(new InvalidOperationException(payload.GetProperty("message").GetString()));
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            subscribed.TrySetException(ex);
        }
    }
}
