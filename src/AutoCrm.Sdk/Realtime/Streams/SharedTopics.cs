using AutoCrm.Sdk.Realtime.Protocol;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>A channel that several subscriptions of one client share.</summary>
internal interface ISharedTopic
{
    RealtimeChannel Channel { get; }
}

/// <summary>
/// The channels of one kind that a client's subscriptions share, by key: each user holds a lease, the channel joins with
/// the first lease and is left after the last. A socket cannot join a topic twice, so a topic joined again right after
/// it was left waits for that leave to finish.
/// </summary>
internal sealed class SharedTopics<TKey, TTopic>(RealtimeClient client)
    where TKey : notnull
    where TTopic : class, ISharedTopic
{
    private readonly object _gate = new();
    private readonly Dictionary<TKey, Entry> _topics = [];
    private readonly Dictionary<TKey, Task> _leaving = [];

    /// <summary>
    /// A lease on the topic of <paramref name="key"/>, created (and joined) if needed. <paramref name="check"/> sees an
    /// existing topic first and may throw to refuse it (its settings differ); the lease is not taken then.
    /// </summary>
    public TTopic Acquire(TKey key, Func<TTopic> create, Action<TTopic>? check = null)
    {
        TTopic topic;
        Task leaving;
        lock (_gate)
        {
            if (_topics.TryGetValue(key, out var existing))
            {
                check?.Invoke(existing.Topic);
                existing.Leases++;
                return existing.Topic;
            }

            topic = create();
            _topics[key] = new Entry(topic) { Leases = 1 };
            leaving = _leaving.GetValueOrDefault(key) ?? Task.CompletedTask;
        }

        if (leaving.IsCompleted)
        {
            topic.Channel.Subscribe();
        }
        else
        {
            _ = leaving.ContinueWith(_ => topic.Channel.Subscribe(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return topic;
    }

    /// <summary>Returns a lease; the last one leaves the channel (in the background).</summary>
    public void Release(TKey key, TTopic topic)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(key, out var entry) || entry.Topic != topic || --entry.Leases > 0)
            {
                return;
            }

            _topics.Remove(key);
            _leaving[key] = client.LeaveQuietlyAsync(topic.Channel);
        }
    }

    private sealed class Entry(TTopic topic)
    {
        public TTopic Topic { get; } = topic;

        public int Leases { get; set; }
    }
}
