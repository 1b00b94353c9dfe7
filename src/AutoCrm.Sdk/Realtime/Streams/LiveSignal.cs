namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>
/// The "is live" state of one stream subscription, shared by every stream kind: a task that completes when the subscription is
/// live, is replaced by a pending one when it stops being live (a drop), faults with the terminal error, and is cancelled when
/// the subscription ends before it went live.
/// </summary>
internal sealed class LiveSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _live = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The current wait: completes when live, faults with the terminal error, is cancelled when the subscription ended.</summary>
    public Task Task
    {
        get
        {
            lock (_gate)
            {
                return _live.Task;
            }
        }
    }

    public void MarkLive()
    {
        lock (_gate)
        {
            _live.TrySetResult();
        }
    }

    public void MarkNotLive()
    {
        lock (_gate)
        {
            if (_live.Task.IsCompletedSuccessfully)
            {
                _live = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Terminal failure: waiting now (and later) throws <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        lock (_gate)
        {
            if (!_live.TrySetException(error))
            {
                _live = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _live.SetException(error);
            }
        }
    }

    /// <summary>The subscription ended (disposed or completed): a wait that has not completed is cancelled.</summary>
    public void End()
    {
        lock (_gate)
        {
            if (!_live.Task.IsCompleted)
            {
                _live.TrySetCanceled();
            }
        }
    }
}

/// <summary>One subscription behind a <see cref="RealtimeStream{T}"/>, whatever produces its items.</summary>
internal interface ILiveSession : IDisposable
{
    /// <summary>See <see cref="LiveSignal.Task"/>.</summary>
    Task WhenLive { get; }

    /// <summary>Starts producing (joins the channel, subscribes the source).</summary>
    void Start();
}
