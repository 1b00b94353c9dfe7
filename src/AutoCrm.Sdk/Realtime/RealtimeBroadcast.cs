using System.Reactive.Linq;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Realtime.Streams;

namespace AutoCrm.Sdk.Realtime;

/// <summary>
/// A named Supabase Realtime broadcast channel (<c>realtime:&lt;name&gt;</c>): low-latency messages between clients that
/// never touch the database. Nothing joins until <see cref="Messages"/> is subscribed or a message is sent; handles of one
/// name on one client share one channel. Sends wait for the server's acknowledgement. Rejoins after reconnects by itself;
/// messages sent while disconnected are not replayed. Dispose it to complete its subscriptions and stop sending.
/// </summary>
/// <example>
/// <code>
/// await using var room = crm.Realtime.Broadcast("agents");
/// using var sub = await room.Messages.SubscribeAsync(Observer.Create&lt;BroadcastMessage&gt;(m => Console.WriteLine($"{m.Event}: {m.Payload}")));
/// await room.SendAsync("typing", new Typing(ticketId), AppJson.Default.Typing);
/// </code>
/// </example>
public class RealtimeBroadcast : IAsyncDisposable
{
    private readonly RealtimeClient? _client;
    private readonly object _gate = new();
    private readonly HashSet<BroadcastSession> _sessions = [];
    private BroadcastTopic? _sender;
    private bool _disposed;

    /// <summary>For mocking (e.g. to fake <see cref="RealtimeClient.Broadcast"/> in unit tests).</summary>
    protected RealtimeBroadcast()
    {
        Name = "";
        Options = new BroadcastOptions();
        Messages = RealtimeStream.Create(Observable.Never<BroadcastMessage>());
    }

    internal RealtimeBroadcast(RealtimeClient client, string name, BroadcastOptions options)
    {
        _client = client;
        Name = name;
        Options = options;
        Messages = new RealtimeStream<BroadcastMessage>(observer => new BroadcastSession(client, this, observer));
    }

    /// <summary>The channel name (the topic without <c>realtime:</c>).</summary>
    public virtual string Name { get; }

    internal BroadcastOptions Options { get; }

    /// <summary>Every broadcast on the channel (and the client's own, with <see cref="BroadcastOptions.ReceiveOwn"/>). Cold:
    /// subscribing joins the channel, and the stream is live once it joined (<see cref="RealtimeStream{T}.WhenLiveAsync"/>);
    /// broadcasts sent before that are not received. Ends with <see cref="CrmRealtimeException"/> when the channel is refused
    /// (e.g. a private channel the user may not read) or closed, or the user signs out; completes when this handle is
    /// disposed.</summary>
    public virtual RealtimeStream<BroadcastMessage> Messages { get; }

    /// <summary>The payloads of one event, deserialized (source-generated, trim- and AOT-safe), on the same channel and with the
    /// same "is live" signal as <see cref="Messages"/>. A payload that does not deserialize ends the stream with
    /// <see cref="JsonException"/>.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="event">The event name.</param>
    /// <param name="typeInfo">The payload's JSON type info, e.g. <c>AppJson.Default.Typing</c>.</param>
    /// <returns>A cold stream of payloads.</returns>
    public virtual RealtimeStream<T> MessagesOf<T>(string @event, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var messages = Messages;
        return new RealtimeStream<T>(observer => new ProjectedSession<BroadcastMessage, T>(
            messages,
            m => m.Event == @event ? (true, m.Payload.Deserialize(typeInfo)!) : (false, default!),
            observer));
    }

    /// <summary>Sends a message with a JSON payload and waits for the server's acknowledgement (joining first if needed; the
    /// channel stays joined for sending until the handle is disposed).</summary>
    /// <param name="event">The event name.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the server acknowledged the message.</returns>
    /// <exception cref="CrmRealtimeException">The server refused the message, did not acknowledge it in time (a private channel
    /// the user may not write to gets no acknowledgement), or refused the channel.</exception>
    public virtual Task SendAsync(string @event, JsonElement payload, CancellationToken cancellationToken = default)
    {
        Guard.NotBlank(@event, "event");
        if (System.Text.Encoding.UTF8.GetByteCount(@event) > 255)
        {
            throw CrmErrors.Invalid("event", "A broadcast event name must fit in 255 bytes (it travels in binary frames).");
        }

        return Sender().SendAsync(@event, payload, cancellationToken);
    }

    /// <summary>Sends a message with a typed payload (source-generated JSON) and waits for the server's acknowledgement.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="event">The event name.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="typeInfo">The payload's JSON type info.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the server acknowledged the message.</returns>
    /// <exception cref="CrmRealtimeException">The server refused the message, did not acknowledge it in time, or refused the channel.</exception>
    public virtual Task SendAsync<T>(string @event, T payload, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return SendAsync(@event, JsonSerializer.SerializeToElement(payload, typeInfo), cancellationToken);
    }

    /// <summary>Completes the subscriptions of <see cref="Messages"/> made through this handle and stops sending; the channel
    /// is left (in the background) when no other handle of the client uses it.</summary>
    /// <returns>A completed task.</returns>
    public virtual ValueTask DisposeAsync()
    {
        BroadcastSession[] sessions;
        BroadcastTopic? sender;
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            sessions = [.. _sessions];
            _sessions.Clear();
            sender = _sender;
            _sender = null;
        }

        foreach (var session in sessions)
        {
            session.Complete();
        }

        if (sender is not null)
        {
            _client!.ReleaseBroadcast(sender);
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Adds a subscription of <see cref="Messages"/>; false when the handle is already disposed.</summary>
    internal bool Register(BroadcastSession session)
    {
        lock (_gate)
        {
            return !_disposed && _sessions.Add(session);
        }
    }

    internal void Unregister(BroadcastSession session)
    {
        lock (_gate)
        {
            _sessions.Remove(session);
        }
    }

    private BroadcastTopic Sender()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _sender ??= _client!.AcquireBroadcast(Name, Options);
        }
    }
}
