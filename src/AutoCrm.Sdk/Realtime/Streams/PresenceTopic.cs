using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Realtime.Protocol;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>What a <see cref="PresenceTopic"/> tells each of its <c>Viewers</c> subscriptions.</summary>
internal interface IPresenceListener
{
    void OnViewers(IReadOnlyList<TicketViewer> viewers);

    /// <summary>True once the channel joined and the server sent its presence state; false after a drop.</summary>
    void OnLive(bool live);

    void OnFailed(Exception error);
}

/// <summary>
/// The private presence channel of one ticket (<c>realtime:ticket-viewers:&lt;id&gt;</c>, <c>config.private = true</c>:
/// the project's policies let only staff who can see the ticket join), shared inside a client by every <c>Viewers</c>
/// subscription and <c>TrackViewingAsync</c> lease (one channel per topic per socket). The presence key is the signed-in
/// user's id (the server keys private presence by the token's user). Re-tracks after every rejoin, since the server forgets
/// metas with the socket.
/// </summary>
internal sealed class PresenceTopic : ISharedTopic
{
    private readonly RealtimeClient _client;
    private readonly object _gate = new();
    private readonly List<IPresenceListener> _listeners = [];
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private JsonObject? _meta;
    private int _trackers;
    private IReadOnlyList<TicketViewer>? _last;
    private bool _synced;

    public PresenceTopic(RealtimeClient client, Guid ticketId, Func<string> presenceKey)
    {
        _client = client;
        TicketId = ticketId;
        Channel = new RealtimeChannel(
            client.Socket,
            string.Create(CultureInfo.InvariantCulture, $"realtime:ticket-viewers:{ticketId}"),
            new RealtimeChannelConfig { Presence = true, PresenceKeyProvider = presenceKey, Private = true })
        {
            Joined = OnJoined,
            Errored = () => SetSynced(false),
            PresenceChanged = OnPresence,
            Closed = reason => FailAll(new CrmRealtimeException($"The presence channel was closed by the server{(reason is null ? "" : ": " + reason)}")),
            JoinFailed = reason =>
            {
                if (reason.StartsWith("Unauthorized", StringComparison.Ordinal))
                {
                    FailAll(new CrmRealtimeException($"The presence subscription was refused: {reason}"));
                }
            },
        };
    }

    public Guid TicketId { get; }

    public RealtimeChannel Channel { get; }

    /// <summary>Completes after the first successful join; faults when the channel is refused or closed for good.</summary>
    public Task Joined => _joined.Task;

    public void AddListener(IPresenceListener listener)
    {
        IReadOnlyList<TicketViewer>? last;
        bool synced;
        lock (_gate)
        {
            _listeners.Add(listener);
            last = _last;
            synced = _synced;
        }

        if (last is not null)
        {
            listener.OnViewers(last);
        }

        if (synced)
        {
            listener.OnLive(true);
        }
    }

    public void RemoveListener(IPresenceListener listener)
    {
        lock (_gate)
        {
            _listeners.Remove(listener);
        }
    }

    public void AddTracker(JsonObject meta)
    {
        lock (_gate)
        {
            _trackers++;
            _meta = meta;
        }
    }

    /// <summary>Returns true when the last tracker left (the meta should be untracked).</summary>
    public bool RemoveTracker()
    {
        lock (_gate)
        {
            _trackers--;
            if (_trackers == 0)
            {
                _meta = null;
                return true;
            }

            return false;
        }
    }

    private void OnJoined()
    {
        // Live again once the server's presence state of this join arrives.
        SetSynced(false);

        // The first join: TrackViewingAsync tracks itself. Rejoins: the server forgot the meta, so track it again.
        var rejoin = !_joined.TrySetResult();
        JsonObject? meta;
        lock (_gate)
        {
            meta = rejoin ? _meta?.DeepClone().AsObject() : null;
        }

        if (meta is not null)
        {
            _ = RetrackAsync(meta);
        }
    }

    private async Task RetrackAsync(JsonObject meta)
    {
        try
        {
            await Channel.TrackAsync(meta).ConfigureAwait(false);
        }
        catch (PhoenixPushException ex)
        {
            RealtimeLog.SendFailed(_client.Logger, Channel.Topic, ex);
        }
    }

    private void OnPresence(IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> state)
    {
        var viewers = ToViewers(state, _client.CurrentUserId);
        IPresenceListener[] listeners;
        lock (_gate)
        {
            _last = viewers;
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener.OnViewers(viewers);
        }

        SetSynced(true);
    }

    private void SetSynced(bool synced)
    {
        IPresenceListener[] listeners;
        lock (_gate)
        {
            if (_synced == synced)
            {
                return;
            }

            _synced = synced;
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener.OnLive(synced);
        }
    }

    private void FailAll(Exception error)
    {
        _joined.TrySetException(error);
        IPresenceListener[] listeners;
        lock (_gate)
        {
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener.OnFailed(error);
        }
    }

    /// <summary>
    /// One viewer per presence key. On the private viewers channel the key is the viewer's user id as the server knows it
    /// (from the access token), so it names the user; a meta's own fields are only informative.
    /// </summary>
    internal static IReadOnlyList<TicketViewer> ToViewers(IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> state, Guid? currentUser)
    {
        var viewers = new List<TicketViewer>(state.Count);
        foreach (var (key, metas) in state)
        {
            DateTimeOffset? since = null;
            foreach (var meta in metas)
            {
                if (meta.ValueKind == JsonValueKind.Object
                    && meta.TryGetProperty("online_at", out var o) && o.ValueKind == JsonValueKind.String && o.TryGetDateTimeOffset(out var at)
                    && (since is null || at < since))
                {
                    since = at;
                }
            }

            Guid? userId = Guid.TryParse(key, out var parsed) ? parsed : null;
            viewers.Add(new TicketViewer
            {
                Key = key,
                UserId = userId,
                Since = since,
                Connections = metas.Count,
                IsCurrentUser = userId is not null && userId == currentUser,
            });
        }

        viewers.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return viewers;
    }
}
