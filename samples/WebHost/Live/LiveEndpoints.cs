using System.Net.ServerSentEvents;
using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Realtime;
using AutoCrm.WebHost.Infrastructure;
using AutoCrm.WebHost.Pages;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AutoCrm.WebHost.Live;

/// <summary>
/// Server-Sent Events fed by the SDK's realtime streams, subscribed with the viewer's own token, so row-level security
/// filters what each browser hears about. Events only say "something changed"; the page then re-fetches its fragment
/// through the normal, RLS-checked page handler. A stream ends when the browser leaves, or shortly before the access
/// token expires (EventSource reconnects and the next stream starts with a refreshed token).
/// </summary>
internal static class LiveEndpoints
{
    public static IEndpointRouteBuilder MapLiveEndpoints(this IEndpointRouteBuilder app)
    {
        var live = app.MapGroup("/live").RequireAuthorization();
        live.MapGet("/queues/{queueId:guid}", QueueAsync).RequireAuthorization(WebHostSetup.StaffPolicy);
        live.MapGet("/tickets/{ticketId:guid}", TicketAsync);
        live.MapGet("/sla", SlaAsync).RequireAuthorization(WebHostSetup.StaffPolicy);
        live.MapViewCounts();
        return app;
    }

    private static async Task<ServerSentEventsResult<string>> QueueAsync(
        Guid queueId, HttpContext context, CrmSessionStore store, UserCrm user, TimeProvider time)
    {
        var (crm, until) = await OpenAsync(store, user, context.RequestAborted);
        var updates = crm.Realtime.QueueUpdates(queueId);
        var statuses = crm.Realtime.StatusChanges(queueId);
        // SLA badges: a breach changes no ticket row (the scheduler records it), and a reply that meets a target changes
        // only the ticket's version (a new message touches its ticket), so both are listened for besides the queue's moves.
        var breaches = crm.Realtime.SlaBreaches(queueId);
        var touched = crm.Realtime.TicketChanges(TicketChangeFilter.ForQueue(queueId) with { Kinds = [TicketChangeKind.Updated] });
        var events = Observable.Merge(
            updates.Select(u => Change("queue", u.TicketId, u.Kind.ToString())),
            statuses.Select(s => Change("status", s.TicketId, s.To.ToString())),
            breaches.Select(b => Change("sla", b.TicketId, b.Metric)),
            touched.Select(c => Change("ticket", c.TicketId, c.Kind.ToString())));
        return TypedResults.ServerSentEvents(StreamAsync(
            crm,
            events,
            ct => Task.WhenAll(updates.WhenLiveAsync(ct), statuses.WhenLiveAsync(ct), breaches.WhenLiveAsync(ct), touched.WhenLiveAsync(ct)),
            null,
            until,
            time,
            context.RequestAborted));
    }

    /// <summary>
    /// "Breaching soon": a breach recorded, or any change of a ticket the agent can see (a new ticket starts clocks, a status
    /// pauses or resumes them, a reply meets one). The page re-reads one indexed page on each, and again after a reconnect.
    /// </summary>
    private static async Task<ServerSentEventsResult<string>> SlaAsync(
        HttpContext context, CrmSessionStore store, UserCrm user, TimeProvider time)
    {
        var (crm, until) = await OpenAsync(store, user, context.RequestAborted);
        var breaches = crm.Realtime.SlaBreaches();
        var tickets = crm.Realtime.TicketChanges(TicketChangeFilter.All with { Kinds = [TicketChangeKind.Inserted, TicketChangeKind.Updated] });
        var events = Observable.Merge(
            breaches.Select(b => Change("sla", b.TicketId, b.Metric)),
            tickets.Select(c => Change("ticket", c.TicketId, c.Kind.ToString())));
        return TypedResults.ServerSentEvents(StreamAsync(
            crm, events, ct => Task.WhenAll(breaches.WhenLiveAsync(ct), tickets.WhenLiveAsync(ct)), null, until, time, context.RequestAborted));
    }

    private static async Task<ServerSentEventsResult<string>> TicketAsync(
        Guid ticketId, HttpContext context, CrmSessionStore store, UserCrm user, TimeProvider time)
    {
        var (crm, until) = await OpenAsync(store, user, context.RequestAborted);
        var messages = crm.Realtime.Messages(ticketId);
        var changes = crm.Realtime.TicketChanges(TicketChangeFilter.ForTicket(ticketId));
        var events = Observable.Merge(
            messages.Select(m => Change("message", ticketId, m.Visibility.ToString())),
            changes.Select(c => Change("ticket", ticketId, c.Kind.ToString())));
        var staff = context.User.IsInRole("agent") || context.User.IsInRole("admin");
        var whenLive = (CancellationToken ct) => Task.WhenAll(messages.WhenLiveAsync(ct), changes.WhenLiveAsync(ct));
        if (staff)
        {
            // The SLA badge turns red when the scheduler records a breach, which changes no ticket row: listen for it.
            var breaches = crm.Realtime.SlaBreaches();
            events = events.Merge(breaches.Where(b => b.TicketId == ticketId).Select(b => Change("sla", ticketId, b.Metric)));
            var ticketLive = whenLive;
            whenLive = ct => Task.WhenAll(ticketLive(ct), breaches.WhenLiveAsync(ct));

            // "Also viewing": announce this agent on the ticket's private presence channel (staff who can see the ticket only;
            // each viewer is present as their own user) and pass on who else is there.
            var names = StaffProfiles.Names(await StaffProfiles.ListAsync(crm, context.RequestAborted));
            var viewers = crm.Realtime.Viewers(ticketId).Select(list => Viewers(list, user.UserId, names));
            events = events.Merge(viewers);
        }

        return TypedResults.ServerSentEvents(StreamAsync(
            crm,
            events,
            whenLive,
            staff ? c => crm.Realtime.TrackViewingAsync(ticketId, c) : null,
            until,
            time,
            context.RequestAborted));
    }

    internal static async Task<(CrmClient Crm, DateTimeOffset Until)> OpenAsync(
        CrmSessionStore store, UserCrm user, CancellationToken cancellationToken)
    {
        var session = user.Session;
        await store.GetAccessTokenAsync(session, cancellationToken); // refreshed first when due, so the stream gets its full time
        return (store.ClientFor(session), store.UsableUntil(session));
    }

    internal static SseItem<string> Change(string what, Guid ticketId, string detail) =>
        new(JsonSerializer.Serialize(new LiveChange(what, ticketId, detail), LiveJsonContext.Default.LiveChange), "change");

    private static SseItem<string> Viewers(IReadOnlyList<TicketViewer> viewers, Guid me, IReadOnlyDictionary<Guid, string> names)
    {
        var others = viewers
            .Where(v => !v.IsCurrentUser && v.UserId is { } id && id != me)
            .Select(v => names.TryGetValue(v.UserId!.Value, out var n) ? n : "someone")
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new(JsonSerializer.Serialize(others, LiveJsonContext.Default.ListString), "viewers");
    }

    /// <summary>
    /// Bridges the observable to the response: a "ready" event once the streams are live (every change committed after it
    /// reaches the page), then every change, until the browser
    /// disconnects, the token's time is up or the stream fails for good. Disposing the subscription and the client
    /// leaves the realtime channels and closes the socket.
    /// </summary>
    internal static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        CrmClient crm,
        IObservable<SseItem<string>> events,
        Func<CancellationToken, Task> whenLive,
        Func<CancellationToken, Task<IAsyncDisposable>>? announce,
        DateTimeOffset until,
        TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var remaining = until - time.GetUtcNow();
        using var expiry = new CancellationTokenSource(remaining > TimeSpan.FromSeconds(5) ? remaining : TimeSpan.FromSeconds(5), time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        var channel = Channel.CreateUnbounded<SseItem<string>>(new UnboundedChannelOptions { SingleReader = true });
        // The client's disposal is awaited: its realtime channels are left and the socket closed before the response ends.
        await using (crm)
        using (events.Subscribe(e => channel.Writer.TryWrite(e), _ => channel.Writer.TryComplete(), () => channel.Writer.TryComplete()))
        {
            IAsyncDisposable? viewing = null;
            try
            {
                if (announce is not null)
                {
                    try
                    {
                        viewing = await announce(stop.Token);
                    }
                    catch (Exception ex) when (ex is CrmException or OperationCanceledException)
                    {
                        // Presence is a nicety: without it the ticket still updates live.
                    }
                }

                bool live;
                try
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    wait.CancelAfter(TimeSpan.FromSeconds(30));
                    await whenLive(wait.Token);
                    live = true;
                }
                catch (Exception ex) when (ex is CrmException or OperationCanceledException)
                {
                    // Failed or timed out: end the stream; EventSource reconnects and tries again.
                    live = false;
                }

                if (!live)
                {
                    yield break;
                }

                yield return new SseItem<string>("{}", "ready");
                while (true)
                {
                    SseItem<string> item;
                    try
                    {
                        if (!await channel.Reader.WaitToReadAsync(stop.Token) || !channel.Reader.TryRead(out item))
                        {
                            yield break;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        yield break;
                    }

                    yield return item;
                }
            }
            finally
            {
                if (viewing is not null)
                {
                    await viewing.DisposeAsync();
                }
            }
        }
    }
}
