namespace AutoCrm.ConsoleHost.Demo;

/// <summary>One item received from a live stream, with a key that identifies it across streams and catch-ups.</summary>
/// <param name="Stream"><c>tickets:status_change</c>, <c>queue:updates</c> or <c>sla:breached</c>.</param>
/// <param name="Key">Unique per item: the event id, plus the queue and kind for queue updates.</param>
/// <param name="TicketId">The ticket.</param>
/// <param name="Text">What happened, for the live display.</param>
internal sealed record DemoEvent(string Stream, string Key, Guid TicketId, string Text)
{
    public long EventId { get; init; }

    public Guid? QueueId { get; init; }

    public Guid? ActorId { get; init; }

    public DateTimeOffset? At { get; init; }

    /// <summary>For an SLA breach: when the missed target was due.</summary>
    public DateTimeOffset? DueAt { get; init; }

    internal const string StatusStream = "tickets:status_change";
    internal const string QueueStream = "queue:updates";
    internal const string SlaStream = "sla:breached";

    internal static string StatusKey(long eventId) => $"s:{eventId}";

    internal static string BreachKey(long eventId) => $"b:{eventId}";

    internal static string QueueKey(Guid queueId, long eventId, string kind) => $"q:{queueId}:{eventId}:{kind}";
}
