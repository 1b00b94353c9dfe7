using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace AutoCrm.DevStack.Tests.Realtime;

/// <summary>A frame as the test client received it, decoded whichever serializer produced it.</summary>
internal sealed record ReceivedFrame(string? JoinRef, string? Ref, string Topic, string Event, JsonNode? Payload, string Raw)
{
    public byte[]? Binary { get; init; }

    /// <summary>A vsn 1.0.0 frame that carried a join_ref key (the server must never send one).</summary>
    public bool HasJoinRefKey { get; init; }
}

/// <summary>A raw ClientWebSocket speaking Phoenix vsn 1.0.0 or 2.0.0, with waits that time out instead of sleeping.</summary>
internal sealed class RealtimeTestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly ClientWebSocket _socket;
    private readonly Channel<ReceivedFrame> _inbox = Channel.CreateUnbounded<ReceivedFrame>();
    private readonly Task _receiveLoop;
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _heartbeatStop = new();
    private int _ref;
    private volatile TaskCompletionSource _readGate = CompletedGate();

    private RealtimeTestClient(ClientWebSocket socket, string vsn, bool startReceiving)
    {
        _socket = socket;
        Vsn = vsn;
        _receiveLoop = startReceiving ? Task.Run(ReceiveLoopAsync) : Task.CompletedTask;
    }

    public string Vsn { get; }

    public bool IsV2 => Vsn == "2.0.0";

    public WebSocket Socket => _socket;

    /// <summary>Completes with the server's close status when the socket closes (null when aborted).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    /// <param name="queryPrefix">Query parameters sent before <c>apikey</c> and <c>vsn</c> (e.g. a repeated key), ending with '&amp;'.</param>
    public static async Task<RealtimeTestClient> ConnectAsync(Uri serverUrl, string apiKey, string vsn = "1.0.0", bool startReceiving = true, string queryPrefix = "")
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(serverUrl) { Scheme = "ws", Path = "/realtime/v1/websocket", Query = $"{queryPrefix}apikey={apiKey}&vsn={vsn}" }.Uri;
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        return new RealtimeTestClient(socket, vsn, startReceiving);
    }

    public string NextRef() => Interlocked.Increment(ref _ref).ToString(CultureInfo.InvariantCulture);

    public Task SendAsync(string? joinRef, string? @ref, string topic, string @event, JsonNode? payload)
    {
        string text = IsV2
            ? new JsonArray(joinRef, @ref, topic, @event, payload).ToJsonString()
            : new JsonObject { ["topic"] = topic, ["event"] = @event, ["payload"] = payload, ["ref"] = @ref, ["join_ref"] = joinRef }.ToJsonString();
        return SendTextAsync(text);
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] data) =>
        _socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Joins a topic and returns the phx_reply payload (status + response).</summary>
    public async Task<(string JoinRef, JsonObject Reply)> JoinAsync(string topic, JsonObject? config = null, string? accessToken = null)
    {
        var joinRef = NextRef();
        var payload = new JsonObject { ["config"] = config ?? new JsonObject() };
        if (accessToken is not null)
        {
            payload["access_token"] = accessToken;
        }

        await SendAsync(joinRef, joinRef, topic, "phx_join", payload);
        var reply = await NextAsync(f => f.Event == "phx_reply" && f.Ref == joinRef && f.Topic == topic);
        return (joinRef, (JsonObject)reply.Payload!);
    }

    /// <summary>Joins with postgres_changes bindings and waits for the "Subscribed to PostgreSQL" system message.</summary>
    public async Task<(string JoinRef, JsonObject Reply)> SubscribeAsync(string topic, JsonArray bindings, string? accessToken = null)
    {
        var joined = await JoinAsync(topic, new JsonObject { ["postgres_changes"] = bindings }, accessToken);
        var system = await NextAsync(f => f.Event == "system" && f.Topic == topic);
        Assert.Equal("ok", (string?)system.Payload!["status"]);
        Assert.Equal("Subscribed to PostgreSQL", (string?)system.Payload!["message"]);
        return joined;
    }

    /// <summary>
    /// The next frame satisfying the predicate; frames before it are discarded. When none arrives, the error lists the
    /// last frames that were discarded, so a flaky wait shows what the socket did receive.
    /// </summary>
    public async Task<ReceivedFrame> NextAsync(Func<ReceivedFrame, bool> predicate, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? DefaultTimeout);
        var discarded = new Queue<string>();
        try
        {
            while (true)
            {
                var frame = await _inbox.Reader.ReadAsync(cts.Token);
                if (predicate(frame))
                {
                    return frame;
                }

                discarded.Enqueue(frame.Raw.Length <= 300 ? frame.Raw : frame.Raw[..300] + "…");
                if (discarded.Count > 20)
                {
                    discarded.Dequeue();
                }
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("no matching frame within " + (timeout ?? DefaultTimeout) + Discarded(discarded));
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException("the socket closed before a matching frame arrived" + Discarded(discarded));
        }

        static string Discarded(Queue<string> frames) =>
            frames.Count == 0 ? "; no other frame arrived meanwhile" : "; frames discarded meanwhile (last 20):\n" + string.Join("\n", frames);
    }

    /// <summary>Every frame received so far without waiting.</summary>
    public List<ReceivedFrame> Drain()
    {
        var frames = new List<ReceivedFrame>();
        while (_inbox.Reader.TryRead(out var frame))
        {
            frames.Add(frame);
        }

        return frames;
    }

    public async Task<WebSocketCloseStatus?> WaitClosedAsync(TimeSpan? timeout = null) =>
        await Closed.WaitAsync(timeout ?? DefaultTimeout, TestContext.Current.CancellationToken);

    /// <summary>Sends a heartbeat every 20 s like realtime-js (25 s), for tests that outlast the 60 s idle timeout.</summary>
    public void StartHeartbeat()
    {
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(20));
            try
            {
                while (await timer.WaitForNextTickAsync(_heartbeatStop.Token))
                {
                    await SendAsync(null, "hb-" + NextRef(), "phoenix", "heartbeat", new JsonObject());
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                // the client is done
            }
        });
    }

    /// <summary>Stops reading from the socket so the server's buffers fill (slow-consumer tests).</summary>
    public void PauseReading() => _readGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResumeReading() => _readGate.TrySetResult();

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }

    public async ValueTask DisposeAsync()
    {
        await _heartbeatStop.CancelAsync();
        _socket.Abort();
        try
        {
            await _receiveLoop;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // aborted
        }

        _socket.Dispose();
        _heartbeatStop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                await _readGate.Task;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closed.TrySetResult(result.CloseStatus);
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }

                    return;
                }

                _inbox.Writer.TryWrite(Decode(message.ToArray(), result.MessageType));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }

    private static ReceivedFrame Decode(byte[] data, WebSocketMessageType type)
    {
        if (type == WebSocketMessageType.Binary)
        {
            // kind 4: 04 | len(topic) | len(event) | len(metadata) | encoding | topic | event | metadata | payload
            int topicLength = data[1], eventLength = data[2], metaLength = data[3];
            var topic = Encoding.UTF8.GetString(data, 5, topicLength);
            var @event = Encoding.UTF8.GetString(data, 5 + topicLength, eventLength);
            var payload = data[(5 + topicLength + eventLength + metaLength)..];
            return new ReceivedFrame(null, null, topic, "broadcast", new JsonObject { ["type"] = "broadcast", ["event"] = @event }, "<binary>")
            {
                Binary = payload,
            };
        }

        var text = Encoding.UTF8.GetString(data);
        var node = JsonNode.Parse(text);
        if (node is JsonArray a)
        {
            return new ReceivedFrame((string?)a[0], (string?)a[1], (string)a[2]!, (string)a[3]!, a[4]?.DeepClone(), text);
        }

        var o = (JsonObject)node!;
        return new ReceivedFrame(null, (string?)o["ref"], (string)o["topic"]!, (string)o["event"]!, o["payload"]?.DeepClone(), text)
        {
            HasJoinRefKey = o.ContainsKey("join_ref"),
        };
    }
}
