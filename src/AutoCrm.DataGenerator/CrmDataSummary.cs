namespace AutoCrm.DataGenerator;

/// <summary>What a load wrote and how long it took.</summary>
public sealed record CrmDataSummary
{
    /// <summary>Rows written per table (<c>public.tickets</c>, <c>public.ticket_messages</c>, …).</summary>
    public required IReadOnlyDictionary<string, long> Rows { get; init; }

    /// <summary>The ticket numbers in use before the load (the first generated ticket has number offset + 1).</summary>
    public required long NumberOffset { get; init; }

    /// <summary>The <c>ticket_events</c> ids in use before the load (generated events have ids above it).</summary>
    public required long EventIdOffset { get; init; }

    /// <summary>Time spent writing rows (users, queues, tickets, messages, events and extensions).</summary>
    public required TimeSpan LoadTime { get; init; }

    /// <summary>Time spent in <c>VACUUM (ANALYZE)</c> or <c>ANALYZE</c> afterwards.</summary>
    public required TimeSpan AnalyzeTime { get; init; }
}

/// <summary>Progress of a load.</summary>
/// <param name="Phase">What is being written (<c>users</c>, <c>tickets</c>, an extension's name, <c>vacuum</c>).</param>
/// <param name="Done">Units done in this phase (tickets for <c>tickets</c>).</param>
/// <param name="Total">Units in this phase.</param>
public sealed record CrmDataProgress(string Phase, long Done, long Total);
