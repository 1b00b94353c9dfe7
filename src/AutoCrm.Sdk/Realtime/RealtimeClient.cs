using System.Globalization;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Realtime.Protocol;
using AutoCrm.Sdk.Realtime.Streams;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Realtime;

/// <summary>
/// Live AutoCRM data over Supabase Realtime, as cold <see cref="IObservable{T}"/> streams. One websocket per client: it
/// opens with the first subscription and closes after the last. Dropped connections are retried with backoff and channels
/// rejoin by themselves; that only shows on <see cref="ConnectionStates"/>. <c>OnError</c> is reserved for terminal failures
/// (<see cref="CrmRealtimeException"/>: the user signed out, lost access, or the server closed the subscription).
/// </summary>
/// <example>
/// <code>
/// using var sub = crm.Realtime.StatusChanges()
///     .Subscribe(c => Console.WriteLine($"{c.TicketId}: {c.From} → {c.To}"));
/// </code>
/// </example>
public class RealtimeClient
{
    private readonly Func<CancellationToken, ValueTask<string?>> _tokenProvider = null!;
    private readonly RealtimeOptions _options = null!;
    private readonly ITicketEventReader _events = null!;
    private readonly IDisposable? _tokenSubscription;
    private readonly object _gate = new();
    private readonly HashSet<IStreamSession> _sessions = [];
    private readonly SharedTopics<Guid, PresenceTopic> _presence = null!;
    private readonly SharedTopics<string, BroadcastTopic> _broadcasts = null!;
    private string? _token;
    private bool _hadUser;
    private long _topics;

    /// <summary>For mocking: a client that is not connected to anything (e.g. to fake <see cref="CrmClient.Realtime"/> in unit
    /// tests, overriding the members the code under test uses; <see cref="RealtimeStream.Create{T}"/> builds their streams).</summary>
    protected RealtimeClient()
    {
        Socket = null!;
        Logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        Time = TimeProvider.System;
    }

    internal RealtimeClient(
        Uri projectUrl,
        string apiKey,
        Func<CancellationToken, ValueTask<string?>> accessTokenProvider,
        IObservable<string?> tokenChanges,
        ITicketEventReader events,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        RealtimeOptions? options = null,
        Func<PhoenixSocketOptions, PhoenixSocketOptions>? configureSocket = null)
    {
        _tokenProvider = accessTokenProvider;
        _options = options ?? new RealtimeOptions();
        _events = events;
        Time = timeProvider;
        Logger = loggerFactory.CreateLogger("AutoCrm.Sdk.Realtime");
        var socketOptions = new PhoenixSocketOptions
        {
            Endpoint = SocketEndpoint(projectUrl),
            ApiKey = apiKey,
            Version = _options.ProtocolVersion,
            HeartbeatInterval = _options.HeartbeatInterval,
            PushTimeout = _options.PushTimeout,
            AccessToken = () => Volatile.Read(ref _token),
            BeforeConnect = RefreshTokenAsync,
        };
        Socket = new PhoenixSocket(configureSocket?.Invoke(socketOptions) ?? socketOptions, timeProvider, Logger);
        _presence = new SharedTopics<Guid, PresenceTopic>(this);
        _broadcasts = new SharedTopics<string, BroadcastTopic>(this);
        _tokenSubscription = tokenChanges.Subscribe(OnTokenChanged);
    }

    /// <summary>
    /// The socket's state: <see cref="RealtimeConnectionState.Connecting"/>, <see cref="RealtimeConnectionState.Connected"/>,
    /// <see cref="RealtimeConnectionState.Reconnecting"/> (a drop; subscriptions stay alive and catch up) or
    /// <see cref="RealtimeConnectionState.Disconnected"/> (nothing subscribed). Replays the current state on subscribe.
    /// </summary>
    public virtual IObservable<RealtimeConnectionState> ConnectionStates => Socket.States;

    internal PhoenixSocket Socket { get; }

    internal ILogger Logger { get; }

    internal TimeProvider Time { get; }

    internal RealtimeOptions Options => _options;

    internal Guid? CurrentUserId => JwtClaims.TryGetSubject(Volatile.Read(ref _token));

    /// <summary>Inserts, updates and deletes of tickets the user may read, with the typed ticket before and after.</summary>
    /// <param name="filter">Which tickets and kinds of change; null for all.</param>
    /// <returns>A cold stream; each subscription shares one channel per call of this method.</returns>
    /// <example><code>crm.Realtime.TicketChanges(TicketChangeFilter.ForTicket(id)).Subscribe(c => Render(c.New));</code></example>
    public virtual RealtimeStream<TicketChange> TicketChanges(TicketChangeFilter? filter = null)
    {
        var f = filter ?? TicketChangeFilter.All;
        return new RealtimeStream<TicketChange>(o => new TicketChangesSession(this, o, f));
    }

    /// <summary>
    /// Status changes of tickets the user may read (the seed's <c>tickets:status_change</c>), from <c>ticket_events</c>.
    /// Nothing is lost across reconnects: after a drop the stream reads the events it missed and emits them in order, without
    /// duplicates, before live events resume (see <see cref="RealtimeOptions.CatchUpAfterReconnect"/>).
    /// </summary>
    /// <param name="queueId">Only tickets in this queue; null for all.</param>
    /// <returns>A cold stream, shared by its subscribers; <see cref="RealtimeStream{T}.SubscribeAsync"/> waits until it is live.</returns>
    public virtual RealtimeStream<TicketStatusChanged> StatusChanges(Guid? queueId = null) =>
        new(o => new TicketEventSession<TicketStatusChanged>(
            this, o, new StatusChangeProjection(queueId, _events), _events, _options.CatchUpAfterReconnect));

    /// <summary>
    /// Tickets entering, leaving, being claimed or released in a queue (the seed's <c>queue:updates</c>), from
    /// <c>ticket_events</c>, with the same catch-up guarantee as <see cref="StatusChanges"/>.
    /// </summary>
    /// <param name="queueId">The queue.</param>
    /// <returns>A cold stream, shared by its subscribers; <see cref="RealtimeStream{T}.SubscribeAsync"/> waits until it is live.</returns>
    public virtual RealtimeStream<QueueUpdate> QueueUpdates(Guid queueId) =>
        new(o => new TicketEventSession<QueueUpdate>(
            this, o, new QueueUpdateProjection(queueId, _events), _events, _options.CatchUpAfterReconnect));

    /// <summary>
    /// Missed SLA targets (<c>sla_breached</c> events, recorded once by <c>run_due_automations</c>) of the tickets the user
    /// may read: staff only (the events are internal; customers receive none). Each breach arrives exactly once, with the
    /// same catch-up across reconnects as <see cref="StatusChanges"/>.
    /// </summary>
    /// <param name="queueId">Only tickets in this queue; null for all.</param>
    /// <returns>A cold stream, shared by its subscribers; <see cref="RealtimeStream{T}.SubscribeAsync"/> waits until it is live.</returns>
    /// <example><code>crm.Realtime.SlaBreaches().Subscribe(b => Console.WriteLine($"{b.TicketId}: {b.Metric} missed (due {b.DueAt:t})"));</code></example>
    public virtual RealtimeStream<SlaBreach> SlaBreaches(Guid? queueId = null) =>
        new(o => new TicketEventSession<SlaBreach>(
            this, o, new SlaBreachProjection(queueId, _events), _events, _options.CatchUpAfterReconnect));

    /// <summary>New messages on a ticket. Row-level security decides what arrives: customers never get internal notes.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <returns>A cold stream, shared by its subscribers; <see cref="RealtimeStream{T}.SubscribeAsync"/> waits until it is live.</returns>
    public virtual RealtimeStream<TicketMessage> Messages(Guid ticketId) =>
        new(o => new MessagesSession(this, o, ticketId));

    /// <summary>
    /// Who is looking at a ticket (presence), as a full list on every change: the first value arrives after the join, then one per
    /// change. Pair with <see cref="TrackViewingAsync"/> for collision detection. The channel is private: the project's policies
    /// let only staff (agents and admins) who can see the ticket join it, and each viewer is keyed by their user id as the
    /// server knows it from their access token, so nobody can appear as someone else. Anyone else gets
    /// <see cref="CrmRealtimeException"/> (refused).
    /// </summary>
    /// <param name="ticketId">The ticket.</param>
    /// <returns>A cold stream, live once the channel joined and the server sent who is there; all subscriptions and
    /// <see cref="TrackViewingAsync"/> leases for one ticket share one channel.</returns>
    /// <example><code>crm.Realtime.Viewers(id).Subscribe(v => ShowOthers(v.Where(x => !x.IsCurrentUser)));</code></example>
    public virtual RealtimeStream<IReadOnlyList<TicketViewer>> Viewers(Guid ticketId) =>
        new(observer => new ViewersSession(this, ticketId, observer));

    /// <summary>
    /// Announces that the current user is looking at a ticket until the returned handle is disposed, on the ticket's private
    /// viewers channel (staff who can see the ticket only). The user is present under their user id (the server takes it from
    /// the access token, which is read first if the socket has not connected yet); the announcement is restored after
    /// reconnects.
    /// </summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels waiting for the join.</param>
    /// <returns>Dispose it to stop announcing.</returns>
    /// <exception cref="CrmRealtimeException">The server refused the channel or the presence (e.g. the user is not staff or
    /// cannot see the ticket).</exception>
    /// <example><code>await using var viewing = await crm.Realtime.TrackViewingAsync(ticket.Id);</code></example>
    public virtual async Task<IAsyncDisposable> TrackViewingAsync(Guid ticketId, CancellationToken cancellationToken = default)
    {
        // The presence names the user: learn who that is from the token first (a ForUser client has not connected yet).
        if (Volatile.Read(ref _token) is null)
        {
            await RefreshTokenAsync(cancellationToken).ConfigureAwait(false);
        }

        var topic = AcquirePresence(ticketId);
        var meta = new JsonObject
        {
            ["online_at"] = Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
        };
        topic.AddTracker(meta);
        try
        {
            await topic.Joined.WaitAsync(cancellationToken).ConfigureAwait(false);
            await topic.Channel.TrackAsync(meta.DeepClone().AsObject(), cancellationToken).ConfigureAwait(false);
            return new ViewingLease(this, topic);
        }
        catch (Exception ex)
        {
            topic.RemoveTracker();
            ReleasePresence(topic);
            if (ex is PhoenixPushException push)
            {
                throw new CrmRealtimeException($"Could not announce viewing: {push.Message}", push);
            }

            if (ex is CrmRealtimeException refused)
            {
                throw new CrmRealtimeException($"Could not announce viewing: {refused.Message}", refused);
            }

            throw;
        }
    }

    /// <summary>
    /// A broadcast channel <paramref name="name"/> (topic <c>realtime:&lt;name&gt;</c>, like realtime-js's <c>channel(name)</c>)
    /// for messages between clients. Nothing joins until its <see cref="RealtimeBroadcast.Messages"/> is subscribed or a message
    /// is sent; handles of one name on one client share one channel (with the options of the first). Private by default: in
    /// AutoCRM <c>agents</c> and <c>agents:&lt;name&gt;</c> are the staff channels; other private names are refused unless the
    /// project adds policies for them.
    /// </summary>
    /// <param name="name">The channel name, e.g. <c>agents</c>.</param>
    /// <param name="options">Private or public, and whether this client hears its own messages; null for the defaults.</param>
    /// <returns>The channel handle; dispose it to complete its subscriptions and stop sending.</returns>
    /// <example>
    /// <code>
    /// await using var room = crm.Realtime.Broadcast("agents");
    /// using var sub = room.Messages.Subscribe(m => Console.WriteLine(m.Event));
    /// await room.SendAsync("hello", JsonSerializer.SerializeToElement(new { from = "alice" }));
    /// </code>
    /// </example>
    public virtual RealtimeBroadcast Broadcast(string name, BroadcastOptions? options = null)
    {
        Guard.NotBlank(name, "name");
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxBroadcastNameBytes)
        {
            throw CrmErrors.Invalid("name", $"A broadcast channel name must fit in {MaxBroadcastNameBytes} bytes (its topic travels in binary frames).");
        }

        return new RealtimeBroadcast(this, name, options ?? new BroadcastOptions());
    }

    /// <summary>The longest broadcast channel name: "realtime:" and the name must fit in a binary frame's 255-byte topic.</summary>
    internal const int MaxBroadcastNameBytes = 255 - 9;

    internal string NextTopic() => string.Create(CultureInfo.InvariantCulture, $"realtime:autocrm-{Interlocked.Increment(ref _topics)}");

    internal void Register(IStreamSession session)
    {
        lock (_gate)
        {
            _sessions.Add(session);
        }
    }

    internal void Unregister(IStreamSession session)
    {
        lock (_gate)
        {
            _sessions.Remove(session);
        }
    }

    internal void Leave(RealtimeChannel channel) => _ = LeaveQuietlyAsync(channel);

    internal PresenceTopic AcquirePresence(Guid ticketId) =>
        _presence.Acquire(ticketId, () => new PresenceTopic(this, ticketId, () => CurrentUserId?.ToString() ?? ""));

    internal void ReleasePresence(PresenceTopic topic) => _presence.Release(topic.TicketId, topic);

    /// <summary>A lease on the client's channel of a broadcast name; refused when it is open with other options.</summary>
    internal BroadcastTopic AcquireBroadcast(string name, BroadcastOptions options) =>
        _broadcasts.Acquire(name, () => new BroadcastTopic(this, name, options), existing =>
        {
            if (existing.Options != options)
            {
                throw new CrmRealtimeException($"The broadcast channel {name} is already open on this client with other options ({existing.Options}); open it with the same options.");
            }
        });

    internal void ReleaseBroadcast(BroadcastTopic topic) => _broadcasts.Release(topic.Name, topic);

    internal void RequestTokenRefresh() => _ = RefreshTokenAsync(CancellationToken.None);

    /// <summary>Stops every subscription and the socket without waiting.</summary>
    internal void Dispose() => _ = DisposeAsync().AsTask();

    internal async ValueTask DisposeAsync()
    {
        _tokenSubscription?.Dispose();
        if (Socket is not null)
        {
            await Socket.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnTokenChanged(string? token)
    {
        bool signedOut;
        lock (_gate)
        {
            signedOut = _hadUser && token is null;
            _hadUser |= token is not null;
            Volatile.Write(ref _token, token);
        }

        Socket.SetAccessToken(token);
        if (signedOut)
        {
            FailAll(new CrmRealtimeException("The user signed out; realtime subscriptions ended."));
        }
    }

    private async Task RefreshTokenAsync(CancellationToken cancellationToken)
    {
        try
        {
            OnTokenChanged(await _tokenProvider(cancellationToken).ConfigureAwait(false));
        }
        catch (CrmAuthException ex)
        {
            FailAll(new CrmRealtimeException("The session ended; realtime subscriptions ended.", ex));
        }
        catch (Exception ex) when (ex is CrmException or HttpRequestException or OperationCanceledException)
        {
            // Keep the last token; the join reports if it is no longer good.
            RealtimeLog.SendFailed(Logger, "auth", ex);
        }
    }

    private void FailAll(Exception error)
    {
        IStreamSession[] sessions;
        lock (_gate)
        {
            sessions = [.. _sessions];
        }

        foreach (var session in sessions)
        {
            session.Fail(error);
        }
    }

    internal async Task LeaveQuietlyAsync(RealtimeChannel channel)
    {
        try
        {
            await channel.LeaveAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PhoenixPushException or OperationCanceledException or ObjectDisposedException)
        {
            RealtimeLog.SendFailed(Logger, channel.Topic, ex);
        }
    }

    private static Uri SocketEndpoint(Uri projectUrl)
    {
        var baseUrl = projectUrl.AbsoluteUri.EndsWith('/') ? projectUrl : new Uri(projectUrl.AbsoluteUri + "/");
        var builder = new UriBuilder(new Uri(baseUrl, "realtime/v1/websocket"))
        {
            Scheme = projectUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        };
        return builder.Uri;
    }

    private sealed class ViewingLease(RealtimeClient client, PresenceTopic topic) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            if (topic.RemoveTracker() && topic.Channel.State == ChannelState.Joined)
            {
                try
                {
                    await topic.Channel.UntrackAsync().ConfigureAwait(false);
                }
                catch (PhoenixPushException ex)
                {
                    RealtimeLog.SendFailed(client.Logger, topic.Channel.Topic, ex);
                }
            }

            client.ReleasePresence(topic);
        }
    }
}
