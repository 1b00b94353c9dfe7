using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.ConsoleHost.Doctor;

/// <summary>
/// The doctor's end-to-end realtime check: one websocket subscribed, with the key under test, to
/// <c>postgres_changes</c> of <c>public.deployment_probes</c>; a fresh token written through
/// <c>touch_deployment_probe</c> must come back as a change. It exercises what a live board needs: the websocket
/// and its key, the publication, the replication stream and the row-level security check of each change. The SDK's
/// streams are typed to tickets, so the probe speaks the Phoenix protocol (v1 JSON frames) itself.
/// </summary>
internal sealed class RealtimeProbe : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly string _topic = "realtime:autocrm-doctor-" + Guid.NewGuid().ToString("N")[..8];
    private int _ref;

    private RealtimeProbe()
    {
    }

    /// <summary>Subscribes, writes a token with <paramref name="touch"/> and waits for it; null when it arrived, else why not.</summary>
    public static async Task<string?> RunAsync(Uri apiUrl, string apiKey, Func<Guid, CancellationToken, Task> touch, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await using var probe = new RealtimeProbe();
        var stage = "connecting";
        try
        {
            await probe._socket.ConnectAsync(WebSocketUri(apiUrl, apiKey), deadline.Token).ConfigureAwait(false);
            stage = "subscribing";
            var refused = await probe.SubscribeAsync(apiKey, deadline.Token).ConfigureAwait(false);
            if (refused is not null)
            {
                return refused;
            }

            stage = "waiting for the change";
            var token = Guid.NewGuid();
            await touch(token, deadline.Token).ConfigureAwait(false);
            while (true)
            {
                using var frame = await probe.ReceiveAsync(deadline.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    return "the server closed the websocket before the change arrived";
                }

                if (Event(frame) == "postgres_changes"
                    && frame.RootElement.TryGetProperty("payload", out var payload)
                    && payload.TryGetProperty("data", out var data)
                    && data.TryGetProperty("record", out var record)
                    && record.TryGetProperty("token", out var got)
                    && got.GetString() == token.ToString())
                {
                    return null;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0} s while {stage}";
        }
        catch (WebSocketException ex)
        {
            return $"the websocket failed while {stage}: {ex.Message}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", quick.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The probe's answer is known; a close that fails changes nothing.
            }
        }

        _socket.Dispose();
    }

    private static Uri WebSocketUri(Uri apiUrl, string apiKey) => new UriBuilder(apiUrl)
    {
        Scheme = apiUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        Path = apiUrl.AbsolutePath.TrimEnd('/') + "/realtime/v1/websocket",
        Query = "apikey=" + Uri.EscapeDataString(apiKey) + "&vsn=1.0.0",
    }.Uri;

    /// <summary>Joins the channel; null once the server confirms the database subscription, else its refusal.</summary>
    private async Task<string?> SubscribeAsync(string apiKey, CancellationToken cancellationToken)
    {
        var join = await SendAsync("phx_join", new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["postgres_changes"] = new JsonArray(new JsonObject { ["event"] = "*", ["schema"] = "public", ["table"] = "deployment_probes" }),
            },
            ["access_token"] = apiKey,
        }, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            using var frame = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (frame is null)
            {
                return "the server closed the websocket during the join";
            }

            var root = frame.RootElement;
            var payload = root.TryGetProperty("payload", out var p) ? p : default;
            switch (Event(frame))
            {
                case "phx_reply" when root.TryGetProperty("ref", out var r) && r.GetString() == join
                                      && payload.TryGetProperty("status", out var status) && status.GetString() != "ok":
                    return "the channel join was refused: " + payload.GetRawText();
                case "system" when payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("status", out var systemStatus):
                    if (systemStatus.GetString() == "ok")
                    {
                        return null;
                    }

                    return "the database subscription failed: " + (payload.TryGetProperty("message", out var m) ? m.GetString() : payload.GetRawText());
                case "phx_error" or "phx_close":
                    return "the server closed the channel: " + payload.GetRawText();
            }
        }
    }

    private async Task<string> SendAsync(string @event, JsonNode payload, CancellationToken cancellationToken)
    {
        var reference = (++_ref).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var text = new JsonObject { ["topic"] = _topic, ["event"] = @event, ["payload"] = payload, ["ref"] = reference, ["join_ref"] = "1" }.ToJsonString();
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        return reference;
    }

    private async Task<JsonDocument?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(message.ToArray());
            }
        }
    }

    private static string? Event(JsonDocument frame) =>
        frame.RootElement.TryGetProperty("event", out var e) ? e.GetString() : null;
}
