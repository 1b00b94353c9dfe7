using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.Sdk.Tickets;

/// <summary>
/// What a <see cref="TicketEvent"/> records. An extensible enumeration: the known kinds are static properties, and a kind
/// this version of the SDK does not know yet (new features add kinds to the same history) still reads, with its
/// database spelling in <see cref="Value"/>. Compare with <c>==</c>; use it in <c>switch</c> through <see cref="Value"/>.
/// </summary>
/// <example><code>if (e.Kind == TicketEventKind.StatusChanged) { ... }</code></example>
[JsonConverter(typeof(TicketEventKindConverter))]
public readonly struct TicketEventKind : IEquatable<TicketEventKind>
{
    private readonly string? _value;

    /// <summary>Creates a kind from its database spelling.</summary>
    /// <param name="value">The spelling, e.g. <c>status_changed</c>.</param>
    public TicketEventKind(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary>The ticket was created (<c>created</c>).</summary>
    public static TicketEventKind Created { get; } = new("created");

    /// <summary>The status changed (<c>status_changed</c>).</summary>
    public static TicketEventKind StatusChanged { get; } = new("status_changed");

    /// <summary>The priority changed (<c>priority_changed</c>).</summary>
    public static TicketEventKind PriorityChanged { get; } = new("priority_changed");

    /// <summary>The assignee changed: claimed, assigned, released (<c>assignee_changed</c>).</summary>
    public static TicketEventKind AssigneeChanged { get; } = new("assignee_changed");

    /// <summary>The queue changed (<c>queue_changed</c>).</summary>
    public static TicketEventKind QueueChanged { get; } = new("queue_changed");

    /// <summary>The tags changed (<c>tags_changed</c>).</summary>
    public static TicketEventKind TagsChanged { get; } = new("tags_changed");

    /// <summary>Custom field values changed (<c>fields_changed</c>); <see cref="TicketEvent.Changes"/> is keyed by field key. Changes of
    /// agent-only fields come in their own event with <see cref="TicketEvent.Visibility"/> internal, which customers never read.</summary>
    public static TicketEventKind FieldsChanged { get; } = new("fields_changed");

    /// <summary>An automation rule fired (<c>rule_applied</c>): <see cref="TicketEvent.RuleId"/> and <see cref="TicketEvent.RuleName"/>
    /// name it and <see cref="TicketEvent.Changes"/> holds what it changed (and <c>reply</c>, <c>internal_note</c>, <c>notify</c>).
    /// What only staff may know (notes, notifications, agent-only fields) is in a second, internal event.</summary>
    public static TicketEventKind RuleApplied { get; } = new("rule_applied");

    /// <summary>A loop or too long a chain of automation rules was stopped (<c>rule_loop_stopped</c>, internal); the change
    /// itself succeeded. <see cref="TicketEvent.Changes"/> has the <c>reason</c>.</summary>
    public static TicketEventKind RuleLoopStopped { get; } = new("rule_loop_stopped");

    /// <summary>A time-based rule (<see cref="Automation.RuleEvent.TimeElapsed"/>) could not run its actions on the ticket
    /// (<c>rule_failed</c>, internal), which was left unchanged: <see cref="TicketEvent.RuleId"/> and
    /// <see cref="TicketEvent.RuleName"/> name it and <see cref="TicketEvent.Changes"/> has the <c>error</c>.</summary>
    public static TicketEventKind RuleFailed { get; } = new("rule_failed");

    /// <summary>Agents' open tickets changed with this ticket (<c>agent_load_changed</c>, internal): <see cref="TicketEvent.Changes"/>
    /// maps each agent id to their <c>open_tickets</c> and <c>capacity</c> before and after (docs/routing.md).</summary>
    public static TicketEventKind AgentLoadChanged { get; } = new("agent_load_changed");

    /// <summary>The AI triage worker applied a chat model's suggestion (<c>ai_triaged</c>, internal): <see cref="TicketEvent.Model"/>
    /// names the model and <see cref="TicketEvent.Changes"/> holds what changed, with <c>language</c> and <c>sentiment</c>.</summary>
    public static TicketEventKind AiTriaged { get; } = new("ai_triaged");

    /// <summary>An SLA target was missed (<c>sla_breached</c>, internal), recorded once by <c>run_due_automations</c>:
    /// <see cref="TicketEvent.Changes"/> has <c>metric</c> and <c>due_at</c> (as <see cref="TicketFieldChange.New"/>).
    /// <see cref="Realtime.RealtimeClient.SlaBreaches"/> streams them.</summary>
    public static TicketEventKind SlaBreached { get; } = new("sla_breached");

    /// <summary>The database spelling.</summary>
    public string Value => _value ?? "";

    /// <summary>Whether two kinds are the same.</summary>
    /// <param name="left">One kind.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(TicketEventKind left, TicketEventKind right) => left.Equals(right);

    /// <summary>Whether two kinds differ.</summary>
    /// <param name="left">One kind.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(TicketEventKind left, TicketEventKind right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(TicketEventKind other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TicketEventKind other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>The database spelling.</summary>
    /// <returns><see cref="Value"/>.</returns>
    public override string ToString() => Value;
}

/// <summary>Reads and writes a <see cref="TicketEventKind"/> as its JSON string.</summary>
internal sealed class TicketEventKindConverter : JsonConverter<TicketEventKind>
{
    public override TicketEventKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? new TicketEventKind(reader.GetString()!) : throw new JsonException("A ticket event kind is a string.");

    public override void Write(Utf8JsonWriter writer, TicketEventKind value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}
