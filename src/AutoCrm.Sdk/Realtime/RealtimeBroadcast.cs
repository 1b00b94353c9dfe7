using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Realtime.Protocol;
using AutoCrm.Sdk.Realtime.Streams;

namespace AutoCrm.Sdk.Realtime;

/// <summary>One broadcast message: the event name and its JSON payload.</summary>
/// <param name="Event">The event name the sender chose.</param>
/// <param name="Payload">The payload (a copy that outlives the frame).</param>
public sealed record BroadcastMessage(string Event, JsonElement Payload);

/// <summary>
/// A named Supabase Realtime broadcast channel (<c>realtime:&lt;name&gt;</c>): low-latency messages between clients that
/// never touch the database. Sends wait for the server's acknowledgement. <see cref="Messages"/> is hot, like realtime-js's
/// <c>on('broadcast')</c>: subscribe before the messages you want to hear are sent. Rejoins after reconnects by itself;
/// messages sent while disconnected are not replayed. Dispose it to leave the channel.
/// </summary>
/// <example>
/// <code>
/// await using var room = crm.Realtime.Broadcast("agents");
/// using var sub = room.Messages.Subscribe(m => Console.WriteLine($"{m.Event}: {m.Payload}"));
/// await room.SendAsync("typing", new Typing(ticketId), AppJson.Default.Typing);
/// </code>
/// </example>
public sealed class RealtimeBroadcast : IAsyncDisposable
{
    private readonly RealtimeClient _client;
    private readonly RealtimeChannel _channel;
    private readonly Subject<BroadcastMessage> _messages = new();
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Session _session;
    private int _done;

    internal RealtimeBroadcast(RealtimeClient client, string name, bool receiveOwn)
    {
        _client = client;
        Name = name;
        _session = new Session(this);
        _channel = new RealtimeChannel(
            client.Socket,
            "realtime:" + name,
            new RealtimeChannelConfig { BroadcastAck = true, BroadcastSelf = receiveOwn })
        {
            Joined = () => _joined.TrySetResult(),
            Broadcast = OnBroadcast,
            Closed = reason => Fail(new CrmRealtimeException($"The broadcast channel was closed by the server{(reason is null ? "" : ": " + reason)}")),
            JoinFailed = reason =>
            {
                if (reason.StartsWith("Unauthorized", StringComparison.Ordinal))
                {
                    Fail(new CrmRealtimeException($"The broadcast channel was refused: {reason}"));
                }
            },
        };
        client.Register(_session);
        _channel.Subscribe();
    }

    /// <summary>The channel name (the topic without <c>realtime:</c>).</summary>
    public string Name { get; }

    /// <summary>Every broadcast on the channel (and the client's own, when created with <c>receiveOwn</c>). Hot; ends with
    /// <see cref="CrmRealtimeException"/> when the channel is refused or closed, or the user signs out; completes on dispose.</summary>
    public IObservable<BroadcastMessage> Messages => _messages.AsObservable();

    /// <summary>The payloads of one event, deserialized (source-generated, trim- and AOT-safe). A payload that does not
    /// deserialize ends the stream with <see cref="JsonException"/>.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="event">The event name.</param>
    /// <param name="typeInfo">The payload's JSON type info, e.g. <c>AppJson.Default.Typing</c>.</param>
    /// <returns>A hot stream of payloads.</returns>
    public IObservable<T> MessagesOf<T>(string @event, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Messages.Where(m => m.Event == @event).Select(m => m.Payload.Deserialize(typeInfo)!);
    }

    /// <summary>Completes once the channel has joined (sends wait for it by themselves).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes on the join.</returns>
    public Task WhenJoinedAsync(CancellationToken cancellationToken = default) => _joined.Task.WaitAsync(cancellationToken);

    /// <summary>Sends a message with a JSON payload and waits for the server's acknowledgement (joining first if needed).</summary>
    /// <param name="event">The event name.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the server acknowledged the message.</returns>
    /// <exception cref="CrmRealtimeException">The server refused the message, did not acknowledge it in time, or the channel ended.</exception>
    public async Task SendAsync(string @event, JsonElement payload, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        await WhenJoinedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _channel.BroadcastAsync(@event, JsonNode.Parse(payload.GetRawText()), cancellationToken).ConfigureAwait(false);
        }
        catch (PhoenixPushException ex)
        {
            throw new CrmRealtimeException($"The broadcast '{@event}' on {Name} was not acknowledged: {ex.Message}", ex);
        }
    }

    /// <summary>Sends a message with a typed payload (source-generated JSON) and waits for the server's acknowledgement.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="event">The event name.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="typeInfo">The payload's JSON type info.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the server acknowledged the message.</returns>
    /// <exception cref="CrmRealtimeException">The server refused the message, did not acknowledge it in time, or the channel ended.</exception>
    public Task SendAsync<T>(string @event, T payload, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return SendAsync(@event, JsonSerializer.SerializeToElement(payload, typeInfo), cancellationToken);
    }

    /// <summary>Completes <see cref="Messages"/> and leaves the channel (in the background, like the streams do).</summary>
    /// <returns>A completed task.</returns>
    ValueTask IAsyncDisposable.DisposeAsync()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            _client.Unregister(_session);
            _joined.TrySetCanceled();
            _messages.OnCompleted();
            _client.Leave(_channel);
        }

        return ValueTask.CompletedTask;
    }

    private void OnBroadcast(string @event, JsonElement message)
    {
        if (Volatile.Read(ref _done) != 0)
        {
            return;
        }

        var payload = message.TryGetProperty("payload", out var p) ? p.Clone() : default;
        _messages.OnNext(new BroadcastMessage(@event, payload));
    }

    private void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
        {
            return;
        }

        _client.Unregister(_session);
        _joined.TrySetException(error);
        _messages.OnError(error);
        _client.Leave(_channel);
    }

    private sealed class Session(RealtimeBroadcast owner) : IStreamSession
    {
        public void Fail(Exception error) => owner.Fail(error);
    }
}
