using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.DevStack.Realtime;
using AutoCrm.DevStack.Realtime.Filters;

namespace AutoCrm.Realtime.Bench;

/// <summary>
/// One socket that uses everything a client may use: <see cref="RealtimeLimits.MaxChannelsPerClient"/> channels on
/// <c>public.tickets</c>, each with <see cref="RealtimeLimits.MaxBindingsPerChannel"/> bindings. Part of the bindings carry a
/// selective condition that never passes (work for the shared dispatcher on every change), the others pass it and then run
/// a pattern that would be catastrophic with backtracking (<c>^(\w+\s?)*!$</c>, which never matches a ticket subject), as
/// many as fit the socket's filter work budget per change on the longest subject: the most filter work one socket can
/// cause without being cut off. It signs in as the admin, so it sees every change and its filters really run.
/// </summary>
internal sealed class AbusiveSocket : IAsyncDisposable
{
    private const string Pattern = "subject=imatch.^(\\w+\\s?)*!$";

    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;
    private int _joined;
    private int _subscribed;
    private int _errors;
    private long _frames;

    public int Channels { get; private set; }

    public int Bindings { get; private set; }

    public int PatternBindings { get; private set; }

    /// <summary>Filter steps the pattern bindings cost the socket per change on the longest subject.</summary>
    public long StepsPerChange { get; private set; }

    public int Errors => Volatile.Read(ref _errors);

    public long Frames => Interlocked.Read(ref _frames);

    public static async Task<AbusiveSocket> ConnectAsync(Uri apiUrl, string apiKey, string accessToken, IReadOnlyList<string> subjects, RealtimeLimits limits)
    {
        var abuser = new AbusiveSocket();
        var condition = FilterCondition.ParseAll(Pattern)[0];
        if (condition.ValidateFor("text", limits.MaxPatternStates) is { } error)
        {
            throw new InvalidOperationException(error);
        }

        long worst = 1;
        foreach (var subject in subjects)
        {
            long budget = long.MaxValue;
            condition.Evaluate(subject, "text", ref budget);
            worst = Math.Max(worst, long.MaxValue - budget);
        }

        // The pre-filter (`status=in.(...)`, always true) is checked by the dispatcher; only the pattern counts on the socket.
        var total = limits.MaxChannelsPerClient * limits.MaxBindingsPerChannel;
        abuser.PatternBindings = (int)Math.Min(total, limits.MaxFilterWorkPerChange * 9 / 10 / worst);
        abuser.StepsPerChange = abuser.PatternBindings * worst;
        abuser.Channels = limits.MaxChannelsPerClient;
        abuser.Bindings = total;

        var uri = new UriBuilder(apiUrl) { Scheme = "ws", Path = "/realtime/v1/websocket", Query = $"apikey={apiKey}&vsn=2.0.0" }.Uri;
        await abuser._socket.ConnectAsync(uri, CancellationToken.None);
        abuser._loop = Task.Run(abuser.ReadAsync);
        var patterns = abuser.PatternBindings;
        for (var c = 0; c < limits.MaxChannelsPerClient; c++)
        {
            var bindings = new JsonArray();
            for (var b = 0; b < limits.MaxBindingsPerChannel; b++)
            {
                var filter = patterns-- > 0
                    ? "status=in.(new,open,pending,on_hold,solved,closed)," + Pattern
                    : "id=eq." + Guid.NewGuid();
                bindings.Add(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "tickets", ["filter"] = filter });
            }

            var joinRef = (c + 1).ToString(CultureInfo.InvariantCulture);
            await abuser.SendAsync(joinRef, joinRef, $"realtime:abuse-{c}", "phx_join", new JsonObject
            {
                ["config"] = new JsonObject { ["postgres_changes"] = bindings },
                ["access_token"] = accessToken,
            });
        }

        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (Volatile.Read(ref abuser._subscribed) < limits.MaxChannelsPerClient)
        {
            if (DateTime.UtcNow > deadline || abuser.Errors > 0)
            {
                throw new InvalidOperationException($"the abusive socket subscribed {abuser._subscribed} of {limits.MaxChannelsPerClient} channels ({abuser.Errors} errors)");
            }

            await Task.Delay(100);
        }

        abuser._heartbeat = Task.Run(abuser.HeartbeatAsync);
        return abuser;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        await Task.WhenAll(_loop, _heartbeat).ContinueWith(_ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _stop.Dispose();
    }

    private Task SendAsync(string? joinRef, string? @ref, string topic, string @event, JsonNode payload) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(new JsonArray(joinRef, @ref, topic, @event, payload).ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(20));
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

    private async Task ReadAsync()
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

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length));
                var node = document.RootElement;
                var (@event, payload) = (node[3].GetString(), node[4]);
                switch (@event)
                {
                    case "postgres_changes":
                        Interlocked.Increment(ref _frames);
                        break;
                    case "phx_reply" when payload.GetProperty("status").GetString() == "ok":
                        Interlocked.Increment(ref _joined);
                        break;
                    case "system" when payload.GetProperty("status").GetString() == "ok":
                        Interlocked.Increment(ref _subscribed);
                        break;
                    case "system" or "phx_reply":
                        Interlocked.Increment(ref _errors);
                        Console.WriteLine("abusive socket: " + payload.GetRawText());
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // stopped
        }
    }
}
