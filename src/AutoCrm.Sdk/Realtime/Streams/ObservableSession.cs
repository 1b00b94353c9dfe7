using System.Reactive;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>
/// A stream subscription over any <see cref="IObservable{T}"/> (<see cref="RealtimeStream.Create{T}"/>): items and terminal
/// events pass through; the stream is live while the last value of <c>liveness</c> is true (always, without one).
/// </summary>
internal sealed class ObservableSession<T>(IObservable<T> source, IObservable<bool>? liveness, IObserver<T> observer) : ILiveSession
{
    private readonly IObserver<T> _observer = Observer.Synchronize(observer);
    private readonly LiveSignal _live = new();
    private IDisposable? _items;
    private IDisposable? _states;
    private int _done;

    public Task WhenLive => _live.Task;

    public void Start()
    {
        if (liveness is null)
        {
            _live.MarkLive();
        }
        else
        {
            _states = liveness.Subscribe(
                isLive =>
                {
                    if (isLive)
                    {
                        _live.MarkLive();
                    }
                    else
                    {
                        _live.MarkNotLive();
                    }
                },
                Fail,
                () => { });
        }

        var items = source.Subscribe(
            value =>
            {
                if (Volatile.Read(ref _done) == 0)
                {
                    _observer.OnNext(value);
                }
            },
            Fail,
            Complete);
        if (Volatile.Read(ref _done) != 0)
        {
            items.Dispose();
        }
        else
        {
            _items = items;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Stop();
            _live.End();
        }
    }

    private void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Stop();
            _observer.OnError(error);
            _live.Fail(error);
        }
    }

    private void Complete()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Stop();
            _observer.OnCompleted();
            _live.End();
        }
    }

    private void Stop()
    {
        Interlocked.Exchange(ref _states, null)?.Dispose();
        Interlocked.Exchange(ref _items, null)?.Dispose();
    }
}
