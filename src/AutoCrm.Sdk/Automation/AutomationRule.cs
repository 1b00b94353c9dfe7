using System.Text.Json;
using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Automation;

/// <summary>When a rule runs.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<RuleEvent>))]
public enum RuleEvent
{
    /// <summary><c>ticket_created</c>.</summary>
    TicketCreated,

    /// <summary><c>ticket_updated</c> (a public message touches its ticket, so it counts too).</summary>
    TicketUpdated,

    /// <summary><c>message_created</c>: the <c>message.*</c> condition fields exist.</summary>
    MessageCreated,

    /// <summary><c>time_elapsed</c>: a time-based rule, run by the scheduler (<c>run_due_automations</c>) once its
    /// <see cref="AutomationRule.Timer"/> has passed, once per ticket per period; it needs a <see cref="RuleTimer"/>.</summary>
    TimeElapsed,
}

/// <summary>The moment of a ticket a <see cref="RuleTimer"/> counts from.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<RuleTimerMoment>))]
public enum RuleTimerMoment
{
    /// <summary><c>created</c>: the ticket was created (one period per ticket).</summary>
    Created,

    /// <summary><c>updated</c>: the ticket last changed (a public message touches it too).</summary>
    Updated,

    /// <summary><c>status_changed</c>: the status last changed ("pending for 3 days").</summary>
    StatusChanged,

    /// <summary><c>assignee_changed</c>: the assignee last changed ("unassigned for 30 minutes", with the condition
    /// that the assignee is empty).</summary>
    AssigneeChanged,
}

/// <summary>When a <see cref="RuleEvent.TimeElapsed"/> rule runs: <see cref="Minutes"/> after <see cref="Since"/>. A
/// period lasts while that moment stays the same; the rule fires at most once per ticket per period, when its conditions
/// hold at that time.</summary>
/// <example><code>new RuleTimer { Since = RuleTimerMoment.StatusChanged, Minutes = 3 * 24 * 60 }</code></example>
public sealed record RuleTimer
{
    /// <summary>The moment counted from.</summary>
    public required RuleTimerMoment Since { get; init; }

    /// <summary>Whole minutes, 1 to 525,600 (a year).</summary>
    public required int Minutes { get; init; }
}

/// <summary>An automation rule (<c>public.automation_rules</c>, admins only).</summary>
public sealed record AutomationRule
{
    /// <summary>The id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The name (shown in the ticket history when it fires).</summary>
    public required string Name { get; init; }

    /// <summary>A longer explanation.</summary>
    public string Description { get; init; } = "";

    /// <summary>The evaluation order (ascending).</summary>
    public int Position { get; init; }

    /// <summary>Whether it runs.</summary>
    public bool Active { get; init; }

    /// <summary>When it runs.</summary>
    public RuleEvent Event { get; init; }

    /// <summary>For <see cref="RuleEvent.TimeElapsed"/>: how long after which moment; otherwise <see langword="null"/>.</summary>
    public RuleTimer? Timer { get; init; }

    /// <summary>When it fires.</summary>
    public TicketConditions Conditions { get; init; } = TicketConditions.None;

    /// <summary>What it does, in order.</summary>
    public IReadOnlyList<TicketAction> Actions { get; init; } = [];

    /// <summary>Who created it.</summary>
    public Guid? CreatedBy { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A rule to create (or to try in a dry run). See <see cref="AutomationsClient.CreateAsync"/>.</summary>
/// <example>
/// <code>
/// await crm.Automations.CreateAsync(new NewAutomationRule
/// {
///     Name = "Route refunds", Event = RuleEvent.TicketCreated,
///     Conditions = TicketConditions.AllOf(ConditionField.Subject.Contains("refund")),
///     Actions = [TicketAction.SetQueue(billing.Id), TicketAction.SetPriority(TicketPriority.High), TicketAction.AddTags("refund")],
/// });
/// </code>
/// </example>
public sealed record NewAutomationRule
{
    /// <summary>The name (1 to 100 characters).</summary>
    public required string Name { get; init; }

    /// <summary>When it runs.</summary>
    public required RuleEvent Event { get; init; }

    /// <summary>Required for <see cref="RuleEvent.TimeElapsed"/> and refused for the other events.</summary>
    public RuleTimer? Timer { get; init; }

    /// <summary>What it does (1 to 50 actions).</summary>
    public required IReadOnlyList<TicketAction> Actions { get; init; }

    /// <summary>When it fires; none: on every change of its event.</summary>
    public TicketConditions Conditions { get; init; } = TicketConditions.None;

    /// <summary>A longer explanation (up to 1,000 characters).</summary>
    public string? Description { get; init; }

    /// <summary>The evaluation order; <see langword="null"/> for the default (0).</summary>
    public int? Position { get; init; }

    /// <summary>Whether it runs (default <see langword="true"/>).</summary>
    public bool Active { get; init; } = true;
}

/// <summary>A change to a rule: the properties left <see langword="null"/> keep their value (<see cref="Timer"/>: left
/// out; set to <see langword="null"/> it is removed).</summary>
public sealed record AutomationRulePatch
{
    private readonly RuleTimer? _timer;
    private readonly bool _timerSet;

    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>A new description.</summary>
    public string? Description { get; init; }

    /// <summary>A new position.</summary>
    public int? Position { get; init; }

    /// <summary>Enables or disables it.</summary>
    public bool? Active { get; init; }

    /// <summary>A new event.</summary>
    public RuleEvent? Event { get; init; }

    /// <summary>A new timer (<see cref="RuleEvent.TimeElapsed"/> rules); set to <see langword="null"/>, the timer is
    /// removed (a rule moved to another event must lose it); left out, it is kept.</summary>
    public RuleTimer? Timer { get => _timer; init { _timer = value; _timerSet = true; } }

    /// <summary>Whether <see cref="Timer"/> was set to <see langword="null"/> (sent as a JSON null).</summary>
    internal bool ClearsTimer => _timerSet && _timer is null;

    /// <summary>New conditions.</summary>
    public TicketConditions? Conditions { get; init; }

    /// <summary>New actions.</summary>
    public IReadOnlyList<TicketAction>? Actions { get; init; }
}

/// <summary>The change a dry run imagines (<see cref="AutomationsClient.TestAsync"/>): the fields it sets, and for
/// <see cref="RuleEvent.MessageCreated"/> the message.</summary>
public sealed record RuleTest
{
    /// <summary>The event to test.</summary>
    public RuleEvent Event { get; init; } = RuleEvent.TicketUpdated;

    /// <summary>A new status.</summary>
    public TicketStatus? Status { get; init; }

    /// <summary>A new priority.</summary>
    public TicketPriority? Priority { get; init; }

    /// <summary>A new queue.</summary>
    public Guid? QueueId { get; init; }

    /// <summary>A new assignee.</summary>
    public Guid? AssigneeId { get; init; }

    /// <summary>New tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>A new subject.</summary>
    public string? Subject { get; init; }

    /// <summary>Metadata keys to set (merged into the ticket's).</summary>
    public CrmMetadata? Metadata { get; init; }

    /// <summary>The message body, for <see cref="RuleEvent.MessageCreated"/>.</summary>
    public string? MessageBody { get; init; }

    /// <summary>The message's visibility (default public).</summary>
    public MessageVisibility? MessageVisibility { get; init; }

    /// <summary>The message author's role: <c>customer</c> (default), <c>agent</c>, <c>admin</c> or <c>system</c>.</summary>
    public string? MessageAuthorRole { get; init; }

    /// <summary>Rules to try instead of the saved active ones (an editor's unsaved rule); validated like saved rules.</summary>
    public IReadOnlyList<NewAutomationRule>? Rules { get; init; }
}

/// <summary>What a dry run found: the rules that would fire, what they would do, and the loops that would be stopped.</summary>
public sealed record RuleTestResult
{
    /// <summary>The ticket as it would be after the change and the rules (metadata includes agent-only values).</summary>
    public required Ticket Ticket { get; init; }

    /// <summary>The rules that would fire, in the order they would.</summary>
    public IReadOnlyList<RuleFiring> Fired { get; init; } = [];

    /// <summary>Loops and chains that would be stopped.</summary>
    public IReadOnlyList<RuleStop> Stopped { get; init; } = [];
}

/// <summary>One rule that would fire, and what it would do.</summary>
public sealed record RuleFiring
{
    /// <summary>The rule's id (for a tried rule without one, <c>rules[i]</c>).</summary>
    public required string RuleId { get; init; }

    /// <summary>The rule's name.</summary>
    public required string RuleName { get; init; }

    /// <summary>Changes customers can see, by field: <c>{"priority": [old, new]}</c>.</summary>
    [JsonPropertyName("public")]
    public IReadOnlyDictionary<string, TicketFieldChange> PublicChanges { get; init; } = new Dictionary<string, TicketFieldChange>();

    /// <summary>Changes of agent-only fields.</summary>
    [JsonPropertyName("internal")]
    public IReadOnlyDictionary<string, TicketFieldChange> InternalChanges { get; init; } = new Dictionary<string, TicketFieldChange>();

    /// <summary>Internal notes it would add (placeholders filled).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Public replies it would add (placeholders filled).</summary>
    public IReadOnlyList<string> Replies { get; init; } = [];

    /// <summary>Notifications it would record.</summary>
    public IReadOnlyList<JsonElement> Notify { get; init; } = [];
}

/// <summary>A loop or chain of rules that would be stopped.</summary>
public sealed record RuleStop
{
    /// <summary>The rule that was stopped (null when a chain hit the depth limit).</summary>
    public string? RuleId { get; init; }

    /// <summary>Its name.</summary>
    public string? RuleName { get; init; }

    /// <summary>Why: <c>loop: …</c> or <c>depth: …</c>.</summary>
    public required string Reason { get; init; }
}
