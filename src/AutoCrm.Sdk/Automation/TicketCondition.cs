using System.Text.Json;
using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Automation;

/// <summary>An operator of the condition vocabulary (docs/automation.md lists what each one does).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<ConditionOperator>))]
public enum ConditionOperator
{
    /// <summary><c>is</c>: equals the value.</summary>
    Is,

    /// <summary><c>is_not</c>: does not equal the value.</summary>
    IsNot,

    /// <summary><c>in</c>: is one of the values (tags: has one of them).</summary>
    In,

    /// <summary><c>not_in</c>: is none of the values.</summary>
    NotIn,

    /// <summary><c>contains</c>: contains the text, ignoring case (tags: has every given tag).</summary>
    Contains,

    /// <summary><c>not_contains</c>: the opposite of <see cref="Contains"/>.</summary>
    NotContains,

    /// <summary><c>matches</c>: matches a PostgreSQL regular expression.</summary>
    Matches,

    /// <summary><c>greater_than</c>: priorities and statuses by their order, numbers as numbers, otherwise texts.</summary>
    GreaterThan,

    /// <summary><c>less_than</c>: see <see cref="GreaterThan"/>.</summary>
    LessThan,

    /// <summary><c>is_empty</c>: has no value.</summary>
    IsEmpty,

    /// <summary><c>is_not_empty</c>: has a value.</summary>
    IsNotEmpty,

    /// <summary><c>changed</c>: changed in this change.</summary>
    Changed,

    /// <summary><c>changed_to</c>: changed to the value (tags: the tag was added).</summary>
    ChangedTo,

    /// <summary><c>changed_from</c>: changed from the value (tags: the tag was removed).</summary>
    ChangedFrom,
}

/// <summary>
/// One condition of the shared vocabulary, <c>{"field", "operator", "value"}</c>. Build it with <see cref="ConditionField"/>
/// (<c>ConditionField.Subject.Contains("refund")</c>) or directly with the JSON form.
/// </summary>
public sealed record TicketCondition
{
    /// <summary>The field: a ticket column (<c>status</c>, <c>tags</c>, …), <c>metadata.&lt;key&gt;</c>, <c>message.body</c>,
    /// <c>message.visibility</c>, <c>message.author_role</c> or <c>actor_role</c>.</summary>
    public required string Field { get; init; }

    /// <summary>The operator.</summary>
    public required ConditionOperator Operator { get; init; }

    /// <summary>The value to compare with; <see langword="null"/> for <see cref="ConditionOperator.IsEmpty"/>,
    /// <see cref="ConditionOperator.IsNotEmpty"/> and <see cref="ConditionOperator.Changed"/>.</summary>
    public JsonElement? Value { get; init; }
}

/// <summary>
/// Conditions <c>{"all": [...], "any": [...]}</c>: every condition of <see cref="All"/> and, when <see cref="Any"/> has
/// conditions, at least one of them. Shared by automation rules and other features that select tickets.
/// </summary>
/// <example>
/// <code>
/// var conditions = TicketConditions.AllOf(ConditionField.Subject.Contains("refund"), ConditionField.ActorRole.Is("customer"))
///     with { Any = [ConditionField.Priority.In(TicketPriority.High, TicketPriority.Urgent), ConditionField.Metadata("plan").Is("enterprise")] };
/// string json = conditions.ToJson();                    // the JSON form, for storage or supabase-js
/// var same = TicketConditions.FromJson(json);
/// </code>
/// </example>
public sealed record TicketConditions
{
    /// <summary>No conditions: matches every ticket.</summary>
    public static TicketConditions None { get; } = new();

    /// <summary>Conditions that must all hold.</summary>
    public IReadOnlyList<TicketCondition> All { get; init; } = [];

    /// <summary>Conditions of which at least one must hold (none: no requirement).</summary>
    public IReadOnlyList<TicketCondition> Any { get; init; } = [];

    /// <summary>Conditions that must all hold.</summary>
    /// <param name="conditions">The conditions.</param>
    /// <returns>The conditions.</returns>
    public static TicketConditions AllOf(params TicketCondition[] conditions) => new() { All = conditions };

    /// <summary>Conditions of which one must hold.</summary>
    /// <param name="conditions">The conditions.</param>
    /// <returns>The conditions.</returns>
    public static TicketConditions AnyOf(params TicketCondition[] conditions) => new() { Any = conditions };

    /// <summary>The JSON form, <c>{"all": [...], "any": [...]}</c>.</summary>
    /// <returns>Compact JSON.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, CrmJsonContext.Default.TicketConditions);

    /// <summary>Reads the JSON form.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The conditions.</returns>
    /// <exception cref="CrmValidationException">Not the JSON form of conditions (code <c>invalid_value</c>, field <c>conditions</c>).</exception>
    public static TicketConditions FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize(json, CrmJsonContext.Default.TicketConditions) ?? None;
        }
        catch (JsonException ex)
        {
            throw new CrmValidationException(new CrmErrorInfo
            {
                Status = 0, Code = "invalid_value", Field = "conditions", IsTransient = false,
                Message = $"The conditions are not {{\"all\": [...], \"any\": [...]}} of {{\"field\", \"operator\", \"value\"}}: {ex.Message}",
            });
        }
    }
}
