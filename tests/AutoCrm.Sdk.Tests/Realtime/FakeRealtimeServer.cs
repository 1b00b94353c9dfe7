using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Tests.Realtime;

/// <summary>An in-test Kestrel websocket server on 127.0.0.1 that hands each accepted realtime socket to the test.</summary>
internal sealed class FakeRealtimeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ServerConnection> _connections = Channel.CreateUnbounded<ServerConnection>();
    private readonly Channel<int> _rejections = Channel.CreateUnbounded<int>();
    private int _rejected;

    private FakeRealtimeServer(WebApplication app) => _app = app;

    /// <summary>When true, upgrades are refused with 503 (for backoff tests).</summary>
    public bool RejectUpgrades { get; set; }

    public Uri BaseUrl { get; private set; } = null!;

    public Uri WebSocketUrl => new($"ws://{BaseUrl.Authority}/realtime/v1/websocket");

    public static async Task<FakeRealtimeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeRealtimeServer(app);
        app.UseWebSockets();
        app.Map("/realtime/v1/websocket", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address);
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        if (RejectUpgrades)
        {
            context.Response.StatusCode = 503;
            await _rejections.Writer.WriteAsync(Interlocked.Increment(ref _rejected));
            return;
        }

        var socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = new ServerConnection(socket, context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()));
        await _connections.Writer.WriteAsync(connection);
        await connection.RunAsync();
    }

    public async Task<ServerConnection> AcceptAsync()
    {
        using var timeout = Timeouts.Cts();
        return await _connections.Reader.ReadAsync(timeout.Token);
    }

    public async Task<int> NextRejectionAsync()
    {
        using var timeout = Timeouts.Cts();
        return await _rejections.Reader.ReadAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The server end of one realtime websocket.</summary>
internal sealed class ServerConnection(WebSocket socket, IReadOnlyDictionary<string, string> query)
{
    private readonly Channel<ServerFrame> _frames = Channel.CreateUnbounded<ServerFrame>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public IReadOnlyDictionary<string, string> Query { get; } = query;

    public string Vsn => Query.TryGetValue("vsn", out var v) ? v : "1.0.0";

    /// <summary>Completes when the client closes (with its close status) or the socket breaks (null).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public string? CloseDescription { get; private set; }

    internal async Task RunAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseDescription = result.CloseStatusDescription;
                    _closed.TrySetResult(result.CloseStatus);
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    break;
                }

                await _frames.Writer.WriteAsync(new ServerFrame(result.MessageType == WebSocketMessageType.Binary, message.ToArray(), Vsn));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(null);
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    /// <summary>The next frame the client sent.</summary>
    public async Task<ServerFrame> ReceiveAsync()
    {
        using var timeout = Timeouts.Cts();
        return await _frames.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>The next frame with the given event, skipping heartbeats and other events.</summary>
    public async Task<ServerFrame> ReceiveAsync(string @event)
    {
        while (true)
        {
            var frame = await ReceiveAsync();
            if (frame.Event == @event)
            {
                return frame;
            }
        }
    }

    /// <summary>Sends a Phoenix message in this connection's serializer (V1 objects or V2 arrays).</summary>
    public Task SendAsync(string? joinRef, string? reference, string topic, string @event, string payloadJson)
    {
        string Str(string? s) => s is null ? "null" : JsonSerializer.Serialize(s, FrameJson.Default.String);
        var text = Vsn == "2.0.0"
            ? $"[{Str(joinRef)},{Str(reference)},{Str(topic)},{Str(@event)},{payloadJson}]"
            : $"{{\"topic\":{Str(topic)},\"event\":{Str(@event)},\"payload\":{payloadJson},\"ref\":{Str(reference)}}}";
        return SendRawAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);
    }

    public Task ReplyAsync(ServerFrame to, string responseJson = "{}", string status = "ok") =>
        SendAsync(to.JoinRef, to.Ref, to.Topic, "phx_reply", $"{{\"status\":\"{status}\",\"response\":{responseJson}}}");

    public async Task SendRawAsync(byte[] data, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            await socket.SendAsync(data, type, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Breaks the connection without a close handshake (a network drop).</summary>
    public void Abort() => socket.Abort();

    public async Task CloseAsync()
    {
        await _sendLock.WaitAsync();
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "server closed", CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}

/// <summary>A frame as received by the server, parsed independently of the SDK's serializers.</summary>
internal sealed class ServerFrame
{
    public ServerFrame(bool isBinary, byte[] data, string vsn)
    {
        IsBinary = isBinary;
        Data = data;
        if (isBinary)
        {
            Topic = Event = "";
            return;
        }

        using var doc = JsonDocument.Parse(data);
        var root = doc.RootElement;
        if (vsn == "2.0.0")
        {
            Assert.Equal(JsonValueKind.Array, root.ValueKind);
            Assert.Equal(5, root.GetArrayLength());
            JoinRef = root[0].GetString();
            Ref = root[1].GetString();
            Topic = root[2].GetString()!;
            Event = root[3].GetString()!;
            Payload = root[4].Clone();
        }
        else
        {
            Assert.Equal(JsonValueKind.Object, root.ValueKind);
            JoinRef = root.TryGetProperty("join_ref", out var j) ? j.GetString() : null;
            Ref = root.GetProperty("ref").GetString();
            Topic = root.GetProperty("topic").GetString()!;
            Event = root.GetProperty("event").GetString()!;
            Payload = root.GetProperty("payload").Clone();
        }
    }

    public bool IsBinary { get; }

    public byte[] Data { get; }

    public string? JoinRef { get; }

    public string? Ref { get; }

    public string Topic { get; }

    public string Event { get; }

    public JsonElement Payload { get; }

    public string Text => Encoding.UTF8.GetString(Data);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class FrameJson : System.Text.Json.Serialization.JsonSerializerContext;

internal static class Timeouts
{
    /// <summary>How long a test waits for an event before failing (not a measurement).</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public static CancellationTokenSource Cts()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Wait);
        return cts;
    }

    public static async Task<T> Within<T>(this Task<T> task)
    {
        using var cts = Cts();
        return await task.WaitAsync(cts.Token);
    }

    public static async Task Within(this Task task)
    {
        using var cts = Cts();
        await task.WaitAsync(cts.Token);
    }
}
