using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>Reads <c>ticket_events</c> through the SDK's REST layer, as the signed-in user (row-level security applies).</summary>
internal sealed class RestTicketEventReader(RestClient rest) : ITicketEventReader
{
    public async Task<long> LatestIdAsync(IReadOnlyList<string> kinds, CancellationToken cancellationToken)
    {
        var rows = await rest.From("ticket_events").Select("*").In("kind", kinds).Order("id", descending: true).Limit(1)
            .ToListAsync(CrmJsonContext.Default.TicketEvent, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? 0 : rows[0].Id;
    }

    public Task<IReadOnlyList<TicketEvent>> ReadAfterAsync(long afterId, IReadOnlyList<string> kinds, int limit, CancellationToken cancellationToken) =>
        rest.From("ticket_events").Select("*").Gt("id", afterId).In("kind", kinds).Order("id").Limit(limit)
            .ToListAsync(CrmJsonContext.Default.TicketEvent, cancellationToken);

    public async Task<Guid?> QueueOfAsync(Guid ticketId, CancellationToken cancellationToken)
    {
        var ticket = await rest.From("tickets").Select("id,queue_id").Eq("id", ticketId)
            .MaybeSingleAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);
        return ticket?.QueueId;
    }
}
