using System.Net.Http;
using System.Text.Json;
using System.Threading.Channels;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Realtime.Protocol;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>Turns <c>ticket_events</c> rows into a stream's items (status changes, queue updates).</summary>
internal interface ITicketEventProjection<T>
{
    /// <summary>The event kinds the stream listens to (server-side filter and catch-up query).</summary>
    IReadOnlyList<string> Kinds { get; }

    ValueTask ProjectAsync(TicketEvent ticketEvent, List<T> output, CancellationToken cancellationToken);
}

/// <summary>
/// A stream over <c>ticket_events</c> INSERTs that loses nothing across reconnects and emits each event once, in order.
/// </summary>
/// <remarks>
/// <para>The merge of catch-up and live events, per (re)join of the channel:</para>
/// <list type="number">
/// <item>From the join on, live events are held, not emitted.</item>
/// <item>When the server confirms the database subscription (<c>system</c> "Subscribed to PostgreSQL"), every commit after
/// that moment is delivered live. Only then the catch-up reads, over REST, the events after the last one emitted (with a
/// look-back for transactions that committed out of id order) and emits those not emitted yet, in id order.</item>
/// <item>Then the held live events are emitted in id order, skipping ids already emitted, and live events flow directly
/// again.</item>
/// </list>
/// <para>So nothing that committed before the confirmation can appear after something the catch-up emitted, and a live event
/// can never overtake a missed one. What "in order" means: commit order. A ticket's events are serialized by its row lock,
/// so for one ticket commit order is id order and the stream's event ids only grow. Across tickets, live events come in
/// commit order (as Realtime decodes the WAL) and caught-up events in id order, which is the same unless transactions
/// overlapped.</para>
/// </remarks>
internal sealed class TicketEventSession<T> : StreamSession<T>
{
    /// <summary>The catch-up re-reads this many ids below the newest one seen, for events whose transactions committed out of id order.</summary>
    internal const long Lookback = 200;

    internal const int PageSize = 500;

    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)];

    private readonly ITicketEventProjection<T> _projection;
    private readonly ITicketEventReader _reader;
    private readonly bool _catchUp;
    private readonly Channel<Work> _work = System.Threading.Channels.Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly RecentIds _seen = new(10_000);
    private readonly List<T> _output = [];
    private readonly SortedList<long, TicketEvent> _held = [];
    private long _floor;
    private long _newest;
    private bool _flowing;

    public TicketEventSession(RealtimeClient client, IObserver<T> observer, ITicketEventProjection<T> projection, ITicketEventReader reader, bool catchUp)
        : base(client, observer)
    {
        _projection = projection;
        _reader = reader;
        _catchUp = catchUp;
    }

    protected override RealtimeChannel CreateChannel()
    {
        var kinds = _projection.Kinds;
        var filter = kinds.Count == 1 ? $"kind=eq.{kinds[0]}" : $"kind=in.({string.Join(",", kinds)})";
        return NewChannel(
            new RealtimeChannelConfig { PostgresChanges = [new PostgresChangesBinding("INSERT", "public", "ticket_events", filter)] },
            OnChange,
            joined: () => _work.Writer.TryWrite(new Work(null, WorkKind.Joined)));
    }

    /// <summary>The database subscription is confirmed: catch up, release the held live events, then report live.</summary>
    protected override void OnSubscribed() => _work.Writer.TryWrite(new Work(null, WorkKind.Subscribed));

    protected override void OnStarting() => _ = RunAsync(_stop.Token);

    protected override void OnTeardown()
    {
        _work.Writer.TryComplete();
        _stop.Cancel();
    }

    private void OnChange(PostgresChangesBinding binding, PostgresChange change)
    {
        if (change.HasRecord && RowJson.Read(change.Record, CrmJsonContext.Default.TicketEvent) is { } ticketEvent)
        {
            _work.Writer.TryWrite(new Work(ticketEvent, WorkKind.Live));
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Everything after this id is "after the subscription started" and must be delivered.
            _floor = await RetryAsync(ct => _reader.LatestIdAsync(_projection.Kinds, ct), cancellationToken).ConfigureAwait(false);
            _newest = _floor;
            await foreach (var item in _work.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (item.Kind)
                {
                    case WorkKind.Live when _flowing || !_catchUp:
                        await DeliverAsync(item.Event!, cancellationToken).ConfigureAwait(false);
                        break;
                    case WorkKind.Live:
                        _held.TryAdd(item.Event!.Id, item.Event);
                        break;
                    case WorkKind.Joined:
                        // Hold live events until the subscription is confirmed and the catch-up has run.
                        _flowing = false;
                        break;
                    case WorkKind.Subscribed:
                        if (_catchUp)
                        {
                            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
                            foreach (var held in _held.Values)
                            {
                                await DeliverAsync(held, cancellationToken).ConfigureAwait(false);
                            }

                            _held.Clear();
                        }

                        _flowing = true;
                        MarkLive();
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Unsubscribed.
        }
        catch (CrmException ex)
        {
            Fail(ex is CrmRealtimeException ? ex : new CrmRealtimeException($"The realtime stream could not read missed events: {ex.Message}", ex));
        }
#pragma warning disable CA1031 // Any other failure ends the stream with an error instead of leaving it silently dead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fail(new CrmRealtimeException($"The realtime stream failed: {ex.Message}", ex));
        }
    }

    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var after = Math.Max(_floor, _newest - Lookback);
        var count = 0;
        while (true)
        {
            var from = after;
            var page = await RetryAsync(ct => _reader.ReadAfterAsync(from, _projection.Kinds, PageSize, ct), cancellationToken).ConfigureAwait(false);
            foreach (var ticketEvent in page)
            {
                if (await DeliverAsync(ticketEvent, cancellationToken).ConfigureAwait(false))
                {
                    count++;
                }
            }

            if (page.Count < PageSize)
            {
                break;
            }

            after = page[^1].Id;
        }

        if (count > 0)
        {
            RealtimeLog.CaughtUp(Client.Logger, count);
        }
    }

    private async ValueTask<bool> DeliverAsync(TicketEvent ticketEvent, CancellationToken cancellationToken)
    {
        if (ticketEvent.Id <= _floor || !_seen.Add(ticketEvent.Id))
        {
            return false;
        }

        _newest = Math.Max(_newest, ticketEvent.Id);
        _output.Clear();
        await _projection.ProjectAsync(ticketEvent, _output, cancellationToken).ConfigureAwait(false);
        foreach (var item in _output)
        {
            Emit(item);
        }

        return true;
    }

    private async Task<TResult> RetryAsync<TResult>(Func<CancellationToken, Task<TResult>> read, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await read(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                RealtimeLog.CatchUpFailed(Client.Logger, ex);
                await Task.Delay(RetryDelays[Math.Min(attempt, RetryDelays.Length - 1)], Client.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        CrmException crm => crm.IsTransient,
        HttpRequestException or TimeoutException => true,
        OperationCanceledException => true,
        _ => false,
    };

    private enum WorkKind
    {
        Live,
        Joined,
        Subscribed,
    }

    /// <summary>A live event (<see cref="WorkKind.Live"/>), a (re)join, or the server's confirmation of the database subscription.</summary>
    private readonly record struct Work(TicketEvent? Event, WorkKind Kind);

    /// <summary>A bounded set of the most recent ids.</summary>
    private sealed class RecentIds(int capacity)
    {
        private readonly HashSet<long> _set = [];
        private readonly Queue<long> _order = new();

        public bool Add(long id)
        {
            if (!_set.Add(id))
            {
                return false;
            }

            _order.Enqueue(id);
            if (_order.Count > capacity)
            {
                _set.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}
