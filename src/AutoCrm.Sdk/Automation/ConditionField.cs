using System.Buffers;
using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Automation;

/// <summary>
/// A field of the condition vocabulary, with a method per operator that builds a <see cref="TicketCondition"/>:
/// <c>ConditionField.Subject.Contains("refund")</c>, <c>ConditionField.Priority.ChangedTo(TicketPriority.Urgent)</c>,
/// <c>ConditionField.Metadata("plan").In("pro", "enterprise")</c>. Immutable and thread-safe.
/// </summary>
public sealed class ConditionField
{
    private ConditionField(string name) => Name = name;

    /// <summary>The field's name in the vocabulary, e.g. <c>status</c> or <c>metadata.plan</c>.</summary>
    public string Name { get; }

    /// <summary>The ticket's status.</summary>
    public static ConditionField Status { get; } = new("status");

    /// <summary>The ticket's priority (ordered low &lt; normal &lt; high &lt; urgent for greater/less than).</summary>
    public static ConditionField Priority { get; } = new("priority");

    /// <summary>The ticket's queue id.</summary>
    public static ConditionField QueueId { get; } = new("queue_id");

    /// <summary>The assignee's id.</summary>
    public static ConditionField AssigneeId { get; } = new("assignee_id");

    /// <summary>The requester's id.</summary>
    public static ConditionField RequesterId { get; } = new("requester_id");

    /// <summary>The ticket's tags (a list).</summary>
    public static ConditionField Tags { get; } = new("tags");

    /// <summary>The ticket's subject.</summary>
    public static ConditionField Subject { get; } = new("subject");

    /// <summary>The ticket's number.</summary>
    public static ConditionField Number { get; } = new("number");

    /// <summary>The body of the message that triggered a <see cref="RuleEvent.MessageCreated"/> rule.</summary>
    public static ConditionField MessageBody { get; } = new("message.body");

    /// <summary>That message's visibility (<c>public</c> or <c>internal</c>).</summary>
    public static ConditionField MessageVisibility { get; } = new("message.visibility");

    /// <summary>That message's author's role (<c>customer</c>, <c>agent</c>, <c>admin</c> or <c>system</c>).</summary>
    public static ConditionField MessageAuthorRole { get; } = new("message.author_role");

    /// <summary>Who made the change: <c>customer</c>, <c>agent</c>, <c>admin</c> or <c>system</c>.</summary>
    public static ConditionField ActorRole { get; } = new("actor_role");

    /// <summary>A metadata key: a free-form key or a custom field (agent-only ones included).</summary>
    /// <param name="key">The key (1 to 100 characters).</param>
    /// <returns>The field <c>metadata.&lt;key&gt;</c>.</returns>
    public static ConditionField Metadata(string key)
    {
        Guard.NotBlank(key, "key");
        return new("metadata." + key);
    }

    /// <summary>A field by its vocabulary name (for names this SDK has no property for).</summary>
    /// <param name="name">The name, e.g. <c>status</c>.</param>
    /// <returns>The field.</returns>
    public static ConditionField Named(string name)
    {
        Guard.NotBlank(name, "field");
        return new(name);
    }

    /// <summary><c>is</c> a text.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition Is(string value) => Make(ConditionOperator.Is, JsonValues.Of(value));

    /// <summary><c>is</c> a number.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition Is(decimal value) => Make(ConditionOperator.Is, JsonValues.Of(value));

    /// <summary><c>is</c> a boolean.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition Is(bool value) => Make(ConditionOperator.Is, JsonValues.Of(value));

    /// <summary><c>is</c> an id.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition Is(Guid value) => Is(value.ToString("D"));

    /// <summary><c>is</c> a status.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition Is(TicketStatus value) => Is(EnumText.Get(value));

    /// <summary><c>is</c> a priority.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition Is(TicketPriority value) => Is(EnumText.Get(value));

    /// <summary><c>is_not</c> a text.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition IsNot(string value) => Make(ConditionOperator.IsNot, JsonValues.Of(value));

    /// <summary><c>is_not</c> a status.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition IsNot(TicketStatus value) => IsNot(EnumText.Get(value));

    /// <summary><c>is_not</c> a priority.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition IsNot(TicketPriority value) => IsNot(EnumText.Get(value));

    /// <summary><c>in</c>: one of these texts (for tags: has one of them).</summary>
    /// <param name="values">The values.</param>
    /// <returns>The condition.</returns>
    public TicketCondition In(params string[] values) => Make(ConditionOperator.In, JsonValues.Of(values));

    /// <summary><c>in</c>: one of these statuses.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The condition.</returns>
    public TicketCondition In(params TicketStatus[] values) => In(values.Select(v => EnumText.Get(v)).ToArray());

    /// <summary><c>in</c>: one of these priorities.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The condition.</returns>
    public TicketCondition In(params TicketPriority[] values) => In(values.Select(v => EnumText.Get(v)).ToArray());

    /// <summary><c>in</c>: one of these ids.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The condition.</returns>
    public TicketCondition In(params Guid[] values) => In(values.Select(v => v.ToString("D")).ToArray());

    /// <summary><c>not_in</c>: none of these texts.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The condition.</returns>
    public TicketCondition NotIn(params string[] values) => Make(ConditionOperator.NotIn, JsonValues.Of(values));

    /// <summary><c>not_in</c>: none of these statuses.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The condition.</returns>
    public TicketCondition NotIn(params TicketStatus[] values) => NotIn(values.Select(v => EnumText.Get(v)).ToArray());

    /// <summary><c>contains</c>: contains the text, ignoring case (on tags: has the tag).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The condition.</returns>
    public TicketCondition Contains(string text) => Make(ConditionOperator.Contains, JsonValues.Of(text));

    /// <summary><c>contains</c> on tags: has every one of these tags.</summary>
    /// <param name="tags">The tags.</param>
    /// <returns>The condition.</returns>
    public TicketCondition ContainsAll(params string[] tags) => Make(ConditionOperator.Contains, JsonValues.Of(tags));

    /// <summary><c>not_contains</c>: does not contain the text (on tags: lacks the tag).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The condition.</returns>
    public TicketCondition NotContains(string text) => Make(ConditionOperator.NotContains, JsonValues.Of(text));

    /// <summary><c>matches</c> a PostgreSQL regular expression (anchor with <c>^…$</c>; <c>(?i)</c> ignores case).</summary>
    /// <param name="pattern">The regular expression.</param>
    /// <returns>The condition.</returns>
    public TicketCondition Matches(string pattern) => Make(ConditionOperator.Matches, JsonValues.Of(pattern));

    /// <summary><c>greater_than</c> a number.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition GreaterThan(decimal value) => Make(ConditionOperator.GreaterThan, JsonValues.Of(value));

    /// <summary><c>greater_than</c> a priority (in the order low, normal, high, urgent).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition GreaterThan(TicketPriority value) => Make(ConditionOperator.GreaterThan, JsonValues.Of(EnumText.Get(value)));

    /// <summary><c>greater_than</c> a text (ISO dates compare correctly).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition GreaterThan(string value) => Make(ConditionOperator.GreaterThan, JsonValues.Of(value));

    /// <summary><c>less_than</c> a number.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition LessThan(decimal value) => Make(ConditionOperator.LessThan, JsonValues.Of(value));

    /// <summary><c>less_than</c> a priority.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition LessThan(TicketPriority value) => Make(ConditionOperator.LessThan, JsonValues.Of(EnumText.Get(value)));

    /// <summary><c>less_than</c> a text.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition LessThan(string value) => Make(ConditionOperator.LessThan, JsonValues.Of(value));

    /// <summary><c>is_empty</c>: no value.</summary>
    /// <returns>The condition.</returns>
    public TicketCondition IsEmpty() => Make(ConditionOperator.IsEmpty, null);

    /// <summary><c>is_not_empty</c>: has a value.</summary>
    /// <returns>The condition.</returns>
    public TicketCondition IsNotEmpty() => Make(ConditionOperator.IsNotEmpty, null);

    /// <summary><c>changed</c> in this change.</summary>
    /// <returns>The condition.</returns>
    public TicketCondition Changed() => Make(ConditionOperator.Changed, null);

    /// <summary><c>changed_to</c> a text (on tags: the tag was added).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition ChangedTo(string value) => Make(ConditionOperator.ChangedTo, JsonValues.Of(value));

    /// <summary><c>changed_to</c> a status.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition ChangedTo(TicketStatus value) => ChangedTo(EnumText.Get(value));

    /// <summary><c>changed_to</c> a priority.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition ChangedTo(TicketPriority value) => ChangedTo(EnumText.Get(value));

    /// <summary><c>changed_from</c> a text (on tags: the tag was removed).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition ChangedFrom(string value) => Make(ConditionOperator.ChangedFrom, JsonValues.Of(value));

    /// <summary><c>changed_from</c> a status.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The condition.</returns>
    public TicketCondition ChangedFrom(TicketStatus value) => ChangedFrom(EnumText.Get(value));

    /// <summary>The field's name.</summary>
    /// <returns><see cref="Name"/>.</returns>
    public override string ToString() => Name;

    private TicketCondition Make(ConditionOperator op, JsonElement? value) => new() { Field = Name, Operator = op, Value = value };
}

/// <summary>Small JSON values for the vocabulary's builders, written without reflection (AOT-safe).</summary>
internal static class JsonValues
{
    public static JsonElement Of(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Write(w => w.WriteStringValue(value));
    }

    public static JsonElement Of(decimal value) => Write(w => w.WriteNumberValue(value));

    public static JsonElement Of(bool value) => Write(w => w.WriteBooleanValue(value));

    public static JsonElement Of(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Write(w =>
        {
            w.WriteStartArray();
            foreach (var v in values)
            {
                ArgumentNullException.ThrowIfNull(v, nameof(values));
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
        });
    }

    public static JsonElement Null { get; } = Write(w => w.WriteNullValue());

    public static JsonElement Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
