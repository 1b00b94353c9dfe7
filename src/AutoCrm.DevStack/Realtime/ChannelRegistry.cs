namespace AutoCrm.DevStack.Realtime;

/// <summary>The channels joined on one socket, by topic (a socket has at most one channel per topic).</summary>
internal sealed class ChannelRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RealtimeChannel> _channels = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count;
            }
        }
    }

    public bool Contains(string topic)
    {
        lock (_gate)
        {
            return _channels.ContainsKey(topic);
        }
    }

    public RealtimeChannel? Find(string topic)
    {
        lock (_gate)
        {
            return _channels.GetValueOrDefault(topic);
        }
    }

    /// <summary>Makes <paramref name="channel"/> the channel of its topic; returns the one it replaces.</summary>
    public RealtimeChannel? Replace(RealtimeChannel channel)
    {
        lock (_gate)
        {
            _channels.Remove(channel.Topic, out var previous);
            _channels[channel.Topic] = channel;
            return previous;
        }
    }

    /// <summary>Removes <paramref name="channel"/> if it is still its topic's channel.</summary>
    public bool Remove(RealtimeChannel channel)
    {
        lock (_gate)
        {
            return _channels.TryGetValue(channel.Topic, out var current) && current == channel && _channels.Remove(channel.Topic);
        }
    }

    /// <summary>Removes the channel of a topic, whichever it is.</summary>
    public RealtimeChannel? Remove(string topic)
    {
        lock (_gate)
        {
            return _channels.Remove(topic, out var channel) ? channel : null;
        }
    }

    public RealtimeChannel[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _channels.Values];
        }
    }

    public RealtimeChannel[] RemoveAll()
    {
        lock (_gate)
        {
            RealtimeChannel[] all = [.. _channels.Values];
            _channels.Clear();
            return all;
        }
    }
}

/// <summary>The filter work one socket may still do for the change it is finishing (<see cref="RealtimeLimits.MaxFilterWorkPerChange"/>).</summary>
internal sealed class SocketFilterBudget(long perChange)
{
    private long _sequence = -1;
    private long _left;

    public long PerChange => perChange;

    /// <summary>Evaluates a queued change within what is left for its change (see <see cref="PendingChange.Evaluate"/>).</summary>
    public List<int>? Evaluate(PendingChange pending)
    {
        if (pending.Sequence != _sequence)
        {
            _sequence = pending.Sequence;
            _left = perChange;
        }

        return pending.Evaluate(ref _left);
    }
}
