namespace AutoCrm.Sdk.Tickets;

/// <summary>One entry of a ticket's append-only history (a row of <c>public.ticket_events</c>, written by triggers).</summary>
public sealed record TicketEvent
{
    /// <summary>The event id (increasing).</summary>
    public long Id { get; init; }

    /// <summary>The ticket.</summary>
    public Guid TicketId { get; init; }

    /// <summary>Who caused it, if known.</summary>
    public Guid? ActorId { get; init; }

    /// <summary>What happened (<see cref="TicketEventKind.StatusChanged"/>, …; kinds added by later features read too).</summary>
    public TicketEventKind Kind { get; init; }

    /// <summary>The changed fields by database name (<c>status</c>, <c>queue_id</c>, a custom field key), each with its old
    /// and new value (the <c>changes</c> column, <c>{"field": [old, new]}</c>).</summary>
    public IReadOnlyDictionary<string, TicketFieldChange> Changes { get; init; } = new Dictionary<string, TicketFieldChange>();

    /// <summary>Who may read it: <see cref="MessageVisibility.Internal"/> for changes of agent-only custom fields (staff only).</summary>
    public MessageVisibility Visibility { get; init; } = MessageVisibility.Public;

    /// <summary>For <see cref="TicketEventKind.RuleApplied"/> and <see cref="TicketEventKind.RuleLoopStopped"/>: the automation
    /// rule (null once the rule is deleted).</summary>
    public Guid? RuleId { get; init; }

    /// <summary>For <see cref="TicketEventKind.RuleApplied"/> and <see cref="TicketEventKind.RuleLoopStopped"/>: the rule's name
    /// when it ran.</summary>
    public string? RuleName { get; init; }

    /// <summary>For <see cref="TicketEventKind.AiTriaged"/>: the chat model whose suggestion was applied.</summary>
    public string? Model { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
