using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Realtime.Protocol;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>
/// The presence channel of one ticket, shared inside a client by every <c>Viewers</c> subscriber and <c>TrackViewingAsync</c>
/// lease (one channel per topic per socket). Re-tracks after every rejoin, since the server forgets metas with the socket.
/// </summary>
internal sealed class PresenceTopic
{
    private readonly RealtimeClient _client;
    private readonly object _gate = new();
    private readonly List<Action<IReadOnlyList<TicketViewer>>> _listeners = [];
    private readonly List<Action<Exception>> _failures = [];
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private JsonObject? _meta;
    private int _trackers;
    private IReadOnlyList<TicketViewer>? _last;

    public PresenceTopic(RealtimeClient client, Guid ticketId, Func<string> presenceKey)
    {
        _client = client;
        TicketId = ticketId;
        Channel = new RealtimeChannel(
            client.Socket,
            string.Create(CultureInfo.InvariantCulture, $"realtime:ticket-viewers:{ticketId}"),
            new RealtimeChannelConfig { Presence = true, PresenceKeyProvider = presenceKey })
        {
            Joined = OnJoined,
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

    /// <summary>Completes after the first successful join.</summary>
    public Task Joined => _joined.Task;

    /// <summary>True while nobody listens or tracks (the client then leaves the channel).</summary>
    public bool IsUnused
    {
        get
        {
            lock (_gate)
            {
                return _listeners.Count == 0 && _trackers == 0;
            }
        }
    }

    public void AddListener(Action<IReadOnlyList<TicketViewer>> listener, Action<Exception> failure)
    {
        IReadOnlyList<TicketViewer>? last;
        lock (_gate)
        {
            _listeners.Add(listener);
            _failures.Add(failure);
            last = _last;
        }

        if (last is not null)
        {
            listener(last);
        }
    }

    public void RemoveListener(Action<IReadOnlyList<TicketViewer>> listener, Action<Exception> failure)
    {
        lock (_gate)
        {
            _listeners.Remove(listener);
            _failures.Remove(failure);
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
        Action<IReadOnlyList<TicketViewer>>[] listeners;
        lock (_gate)
        {
            _last = viewers;
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener(viewers);
        }
    }

    private void FailAll(Exception error)
    {
        Action<Exception>[] failures;
        lock (_gate)
        {
            failures = [.. _failures];
        }

        foreach (var failure in failures)
        {
            failure(error);
        }
    }

    internal static IReadOnlyList<TicketViewer> ToViewers(IReadOnlyDictionary<string, IReadOnlyList<JsonElement>> state, Guid? currentUser)
    {
        var viewers = new List<TicketViewer>(state.Count);
        foreach (var (key, metas) in state)
        {
            Guid? userId = null;
            DateTimeOffset? since = null;
            foreach (var meta in metas)
            {
                if (meta.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                if (userId is null && meta.TryGetProperty("user_id", out var u) && u.ValueKind == JsonValueKind.String && u.TryGetGuid(out var parsed))
                {
                    userId = parsed;
                }

                if (meta.TryGetProperty("online_at", out var o) && o.ValueKind == JsonValueKind.String && o.TryGetDateTimeOffset(out var at) && (since is null || at < since))
                {
                    since = at;
                }
            }

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
