using System.Reactive.Linq;

namespace AutoCrm.Sdk.Auth;

// StateChanges: publishing session changes in order, and replaying the current session to each new subscriber without
// letting it cross the first change published after it subscribed.
public partial class AuthClient
{
    private void Publish(AuthStateChange change)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
        }

        lock (_publishGate)
        {
            _subject.OnNext(change);
        }
    }

    private IDisposable SubscribeState(IObserver<AuthStateChange> observer)
    {
        bool loaded;
        lock (_gate)
        {
            loaded = _loaded || _fixedToken is not null;
        }

        if (loaded)
        {
            return Attach(observer);
        }

        // Read the stored session first; the subscription starts with whatever the state is once it is known.
        var subscription = new System.Reactive.Disposables.SingleAssignmentDisposable();
        var cancel = new CancellationTokenSource();
        _ = LoadAsync(cancel.Token).AsTask().ContinueWith(
            load =>
            {
                if (load.IsCanceled)
                {
                    return;
                }

                if (load.Exception is { } error)
                {
                    observer.OnError(error.InnerException ?? error);
                    return;
                }

                subscription.Disposable = Attach(observer);
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return new System.Reactive.Disposables.CompositeDisposable(subscription, System.Reactive.Disposables.Disposable.Create(() =>
        {
            cancel.Cancel();
            cancel.Dispose();
        }));
    }

    private IDisposable Attach(IObserver<AuthStateChange> observer)
    {
        lock (_publishGate)
        {
            Session? session;
            bool disposed;
            lock (_gate)
            {
                session = _session;
                disposed = _disposed;
            }

            if (disposed)
            {
                observer.OnCompleted();
                return System.Reactive.Disposables.Disposable.Empty;
            }

            observer.OnNext(new AuthStateChange { Event = AuthChangeEvent.InitialSession, Session = session });
            return _subject.Subscribe(observer);
        }
    }
}
