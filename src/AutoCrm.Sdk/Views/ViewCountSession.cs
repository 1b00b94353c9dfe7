using System.Reactive;
using System.Threading.Channels;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Realtime.Streams;

namespace AutoCrm.Sdk.Views;

/// <summary>
/// One subscription of <see cref="ViewsClient.LiveCount"/>: counts once the ticket changes stream is live (so no change
/// after the count can be missed), then counts again after every change of a visible ticket and after every reconnect.
/// Changes that arrive while a count runs are coalesced into one more count, so a burst of writes costs at most two counts.
/// Only a different number is emitted.
/// </summary>
internal sealed class ViewCountSession(
    RealtimeStream<Realtime.TicketChange> changes,
    IObservable<RealtimeConnectionState> states,
    Func<CancellationToken, Task<long>> count,
    IObserver<long> observer) : ILiveSession
{
    private readonly IObserver<long> _observer = Observer.Synchronize(observer);
    private readonly LiveSignal _live = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _due = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private IDisposable? _changes;
    private IDisposable? _states;
    private int _reconnected;
    private int _done;

    public Task WhenLive => _live.Task;

    public void Start()
    {
        _changes = changes.Subscribe(_ => _due.Writer.TryWrite(true), Fail, () => { });
        _states = states.Subscribe(
            state =>
            {
                if (state == RealtimeConnectionState.Reconnecting)
                {
                    // Changes made while the socket is down are not delivered: count again once the stream is back.
                    Volatile.Write(ref _reconnected, 1);
                    _live.MarkNotLive();
                    _due.Writer.TryWrite(true);
                }
            },
            _ => { },
            () => { });
        _ = RunAsync(_stop.Token);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Stop();
            _live.End();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        long? last = null;
        try
        {
            await changes.WhenLiveAsync(cancellationToken).ConfigureAwait(false);
            while (true)
            {
                if (Interlocked.Exchange(ref _reconnected, 0) == 1)
                {
                    await changes.WhenLiveAsync(cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    var now = await count(cancellationToken).ConfigureAwait(false);
                    if (now != last && Volatile.Read(ref _done) == 0)
                    {
                        last = now;
                        _observer.OnNext(now);
                    }

                    _live.MarkLive();
                }
                catch (CrmException ex) when (ex.IsTransient)
                {
                    // The next change or reconnect counts again.
                }

                await _due.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Unsubscribed.
        }
        catch (Exception ex)
        {
            Fail(ex);
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

    private void Stop()
    {
        _stop.Cancel();
        _changes?.Dispose();
        _states?.Dispose();
        _stop.Dispose();
    }
}
