using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>What the catch-up of event streams reads over REST (a seam so frame-level tests can stand in for the database).</summary>
internal interface ITicketEventReader
{
    /// <summary>The highest visible <c>ticket_events</c> id of the given kinds (0 when there is none).</summary>
    Task<long> LatestIdAsync(IReadOnlyList<string> kinds, CancellationToken cancellationToken);

    /// <summary>Visible events of the given kinds with id &gt; <paramref name="afterId"/>, ascending by id, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<TicketEvent>> ReadAfterAsync(long afterId, IReadOnlyList<string> kinds, int limit, CancellationToken cancellationToken);

    /// <summary>The ticket's current queue, or null when unqueued or not visible.</summary>
    Task<Guid?> QueueOfAsync(Guid ticketId, CancellationToken cancellationToken);
}
