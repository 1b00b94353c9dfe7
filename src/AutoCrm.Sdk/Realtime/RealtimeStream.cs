using System.Reactive.Disposables;
using System.Reactive.Linq;
using AutoCrm.Sdk.Realtime.Streams;

namespace AutoCrm.Sdk.Realtime;

/// <summary>
/// A cold realtime stream of <typeparamref name="T"/>, the one shape of every stream of <see cref="RealtimeClient"/>:
/// subscribing joins a channel (shared by all current subscribers of this instance) and the stream goes live once the server
/// confirmed the subscription (for database changes: the database subscription). What happens after
/// <see cref="WhenLiveAsync"/> (or <see cref="SubscribeAsync"/>) completes is guaranteed to be delivered; what happened before
/// the subscription started never is. Create one from any <see cref="IObservable{T}"/> with
/// <see cref="RealtimeStream.Create{T}"/> (e.g. to fake <see cref="RealtimeClient"/> in unit tests).
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <example>
/// <code>
/// var changes = crm.Realtime.StatusChanges();
/// using var sub = await changes.SubscribeAsync(Observer.Create&lt;TicketStatusChanged&gt;(Print), ct);
/// // From here on, every status change is delivered.
/// </code>
/// </example>
public sealed class RealtimeStream<T> : IObservable<T>
{
    private readonly object _gate = new();
    private readonly IObservable<T> _shared;
    private ILiveSession? _session;

    internal RealtimeStream(Func<IObserver<T>, ILiveSession> factory)
    {
        _shared = Observable.Create<T>(observer =>
        {
            var session = factory(observer);
            lock (_gate)
            {
                _session = session;
            }

            session.Start();
            return Disposable.Create(() =>
            {
                lock (_gate)
                {
                    if (_session == session)
                    {
                        _session = null;
                    }
                }

                session.Dispose();
            });
        }).Publish().RefCount();
    }

    /// <summary>Subscribes; the stream goes live in the background (see <see cref="WhenLiveAsync"/>).</summary>
    /// <param name="observer">The observer.</param>
    /// <returns>Dispose it to unsubscribe (the channel is left after the last subscriber).</returns>
    public IDisposable Subscribe(IObserver<T> observer) => _shared.Subscribe(observer);

    /// <summary>
    /// Completes when the current subscription of this stream is live: the channel joined, the server confirmed the
    /// subscription (database changes: the database subscription; presence: the first presence state) and, for
    /// <see cref="RealtimeClient.StatusChanges"/> and <see cref="RealtimeClient.QueueUpdates"/>, the catch-up ran. After a
    /// dropped connection it completes again once the stream is live again.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the stream is live.</returns>
    /// <exception cref="CrmException">Nobody is subscribed to this stream (code <c>not_subscribed</c>): a misuse.</exception>
    /// <exception cref="CrmRealtimeException">The subscription ended with a terminal failure (also sent to <c>OnError</c>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled, or the subscription was disposed before it went live.</exception>
    public Task WhenLiveAsync(CancellationToken cancellationToken = default)
    {
        ILiveSession? session;
        lock (_gate)
        {
            session = _session;
        }

        if (session is null)
        {
            throw new CrmException(new CrmErrorInfo
            {
                Code = "not_subscribed",
                Message = "Subscribe to the stream before waiting for it to go live.",
                IsTransient = false,
            });
        }

        return session.WhenLive.WaitAsync(cancellationToken);
    }

    /// <summary>Subscribes and waits until the stream is live (<see cref="WhenLiveAsync"/>); on failure or cancellation the
    /// subscription is disposed.</summary>
    /// <param name="observer">The observer.</param>
    /// <param name="cancellationToken">Stops waiting (and unsubscribes).</param>
    /// <returns>The live subscription; dispose it to unsubscribe.</returns>
    /// <exception cref="CrmRealtimeException">The subscription failed before it went live.</exception>
    public async Task<IDisposable> SubscribeAsync(IObserver<T> observer, CancellationToken cancellationToken = default)
    {
        var subscription = Subscribe(observer);
        try
        {
            await WhenLiveAsync(cancellationToken).ConfigureAwait(false);
            return subscription;
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
    }
}

/// <summary>Creates <see cref="RealtimeStream{T}"/>s from any observable, with the same sharing and "is live" signal as the
/// streams of <see cref="RealtimeClient"/>: typically to fake realtime in a consumer's unit tests.</summary>
/// <example>
/// <code>
/// var changes = new Subject&lt;TicketStatusChanged&gt;();
/// var live = new BehaviorSubject&lt;bool&gt;(true);
/// RealtimeStream&lt;TicketStatusChanged&gt; stream = RealtimeStream.Create(changes, live);
/// // Hand `stream` to the code under test (e.g. from a faked RealtimeClient.StatusChanges), then:
/// changes.OnNext(new TicketStatusChanged { TicketId = id, From = TicketStatus.New, To = TicketStatus.Open });
/// </code>
/// </example>
public static class RealtimeStream
{
    /// <summary>
    /// A cold stream over <paramref name="source"/>: each time the stream gets its first subscriber it subscribes to
    /// <paramref name="source"/> (and to <paramref name="liveness"/>), shared by all its current subscribers, and unsubscribes
    /// after the last one left. Items, errors and completion pass through unchanged.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="source">The items.</param>
    /// <param name="liveness">When the stream is live (<see cref="RealtimeStream{T}.WhenLiveAsync"/>): live while its last
    /// value is <see langword="true"/>, not live after a <see langword="false"/> (a simulated drop); an error fails the stream.
    /// Null: live as soon as subscribed.</param>
    /// <returns>The stream.</returns>
    public static RealtimeStream<T> Create<T>(IObservable<T> source, IObservable<bool>? liveness = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new RealtimeStream<T>(observer => new ObservableSession<T>(source, liveness, observer));
    }
}
