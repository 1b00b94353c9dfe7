namespace AutoCrm.ConsoleHost.Demo;

/// <summary>What <c>autocrm demo</c> reports at the end (also its --json output).</summary>
internal sealed record DemoSummary
{
    public required string Run { get; init; }

    public required string Url { get; init; }

    public required string Feed { get; init; }

    public required double DurationSeconds { get; init; }

    public required int Agents { get; init; }

    public required int Customers { get; init; }

    public required int TicketsFiled { get; init; }

    public required IReadOnlyDictionary<string, int> TicketsByStatus { get; init; }

    public required IReadOnlyDictionary<string, int> ClaimsPerAgent { get; init; }

    public required int Replies { get; init; }

    public required int InternalNotes { get; init; }

    public required int PriorityChanges { get; init; }

    public required int Reopened { get; init; }

    public required int ClosedByCustomers { get; init; }

    public double? MedianFirstResponseSeconds { get; init; }

    public required int StatusChangesMade { get; init; }

    public required int StatusEventsReceived { get; init; }

    public required int QueueUpdatesMade { get; init; }

    public required int QueueUpdatesReceived { get; init; }

    public IReadOnlyDictionary<string, long> QueueOpenCounts { get; init; } = new Dictionary<string, long>();

    /// <summary>The automation step: a rule that fired and a macro applied (after the streams were counted).</summary>
    public DemoAutomation? Automation { get; init; }

    /// <summary>The integrations step: a signed webhook to a local receiver, search, a CSAT rating and the day's report.</summary>
    public DemoIntegrations? Integrations { get; init; }

    /// <summary>Every change the audit log holds arrived on the streams, and nothing else did.</summary>
    public required bool Consistent { get; init; }
}
