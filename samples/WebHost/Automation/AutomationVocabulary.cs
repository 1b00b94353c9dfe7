using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.WebHost.Pages;

namespace AutoCrm.WebHost.Automation;

/// <summary>
/// What the rule and macro forms offer and how people write values: queues by slug, staff by email, custom fields by key.
/// The forms turn those into the ids and JSON values of the condition and action vocabulary; the database still checks
/// every rule and macro when it is saved, and its message is what the page shows.
/// </summary>
public sealed class AutomationVocabulary
{
    /// <summary>The ticket fields a condition may test (custom fields are added as <c>metadata.&lt;key&gt;</c>).</summary>
    public static readonly IReadOnlyList<string> TicketFields =
    [
        "subject", "status", "priority", "queue_id", "assignee_id", "requester_id", "tags", "number",
        "message.body", "message.visibility", "message.author_role", "actor_role",
    ];

    /// <summary>The operators, in the database's spelling.</summary>
    public static readonly IReadOnlyList<string> Operators =
    [
        "contains", "not_contains", "is", "is_not", "in", "not_in", "matches", "greater_than", "less_than",
        "is_empty", "is_not_empty", "changed", "changed_to", "changed_from",
    ];

    /// <summary>The operators that take no value.</summary>
    public static readonly IReadOnlySet<string> ValuelessOperators = new HashSet<string>(StringComparer.Ordinal) { "is_empty", "is_not_empty", "changed" };

    /// <summary>The events, in the database's spelling.</summary>
    public static readonly IReadOnlyList<string> Events = ["ticket_created", "ticket_updated", "message_created", "time_elapsed"];

    /// <summary>The moments a <c>time_elapsed</c> rule's timer counts from, in the database's spelling.</summary>
    public static readonly IReadOnlyList<string> TimerMoments = [.. Enum.GetValues<RuleTimerMoment>().Select(m => Spell(m))];

    private AutomationVocabulary(IReadOnlyList<Queue> queues, IReadOnlyList<Profile> staff, IReadOnlyList<TicketField> fields)
    {
        Queues = queues;
        Staff = staff;
        Fields = fields;
    }

    /// <summary>The queues the user sees.</summary>
    public IReadOnlyList<Queue> Queues { get; }

    /// <summary>Agents and admins.</summary>
    public IReadOnlyList<Profile> Staff { get; }

    /// <summary>The active custom fields.</summary>
    public IReadOnlyList<TicketField> Fields { get; }

    /// <summary>Every condition field: the ticket's, then <c>metadata.&lt;key&gt;</c> for each custom field.</summary>
    public IEnumerable<string> ConditionFields => TicketFields.Concat(Fields.Select(f => "metadata." + f.Key));

    /// <summary>The action types a rule (<paramref name="forMacro"/> false) or a macro offers.</summary>
    public static IReadOnlyList<string> ActionTypes(bool forMacro) =>
        Enum.GetValues<TicketActionType>().Where(t => !forMacro || t != TicketActionType.Notify).Select(Spell).ToList();

    /// <summary>Reads what the forms need, as the signed-in user.</summary>
    public static async Task<AutomationVocabulary> LoadAsync(CrmClient crm, CancellationToken cancellationToken) => new(
        await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken),
        await StaffProfiles.ListAsync(crm, cancellationToken),
        await crm.Fields.ListAsync(cancellationToken: cancellationToken).ToListAsync(cancellationToken));

    /// <summary>The database spelling of one of the SDK's enumerations (<c>add_tags</c>, <c>ticket_created</c>).</summary>
    public static string Spell<TEnum>(TEnum value)
        where TEnum : struct, Enum => Snake(value.ToString());

    /// <summary>The action type a form value names.</summary>
    public static TicketActionType? ParseActionType(string text) =>
        Enum.GetValues<TicketActionType>().Select(t => (TicketActionType?)t).FirstOrDefault(t => Spell(t!.Value) == text);

    /// <summary>The operator a form value names.</summary>
    public static ConditionOperator? ParseOperator(string text) =>
        Enum.GetValues<ConditionOperator>().Select(o => (ConditionOperator?)o).FirstOrDefault(o => Spell(o!.Value) == text);

    /// <summary>A queue written as its slug, name or id; <see langword="null"/> when none matches.</summary>
    public Queue? FindQueue(string text) =>
        Queues.FirstOrDefault(q => string.Equals(q.Slug, text, StringComparison.OrdinalIgnoreCase))
        ?? Queues.FirstOrDefault(q => string.Equals(q.Name, text, StringComparison.OrdinalIgnoreCase))
        ?? (Guid.TryParse(text, out var id) ? Queues.FirstOrDefault(q => q.Id == id) : null);

    /// <summary>A staff member written as their email or id; <see langword="null"/> when none matches.</summary>
    public Profile? FindStaff(string text) =>
        Staff.FirstOrDefault(p => string.Equals(p.Email, text, StringComparison.OrdinalIgnoreCase))
        ?? (Guid.TryParse(text, out var id) ? Staff.FirstOrDefault(p => p.Id == id) : null);

    /// <summary>An id as people read it: a queue's slug, a staff member's email, or the id itself.</summary>
    public string IdText(string text) =>
        Guid.TryParse(text, out var id)
            ? Queues.FirstOrDefault(q => q.Id == id)?.Slug ?? Staff.FirstOrDefault(p => p.Id == id)?.Email ?? text
            : text;

    /// <summary>A JSON value as a form shows it: texts as they are (ids as slugs or emails), lists comma separated.</summary>
    public string Text(JsonElement? value) => value switch
    {
        null => "",
        { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => "",
        { ValueKind: JsonValueKind.String } v => IdText(v.GetString()!),
        { ValueKind: JsonValueKind.Array } v => string.Join(", ", v.EnumerateArray().Select(e => Text(e))),
        { } v => v.GetRawText(),
    };

    /// <summary>A typed-in scalar: a number or <c>true</c>/<c>false</c> as JSON numbers and booleans, anything else as text.</summary>
    public static JsonNode? Scalar(string text)
    {
        if (text is "true" or "false")
        {
            return JsonValue.Create(text == "true");
        }

        return decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
    }

    /// <summary>A comma-separated list.</summary>
    public static string[] List(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>PascalCase as snake_case, the spelling of the SDK's enumerations on the wire.</summary>
    public static string Snake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    /// <summary>A JSON node as the <see cref="JsonElement"/> the SDK's models carry.</summary>
    public static JsonElement Element(JsonNode? node)
    {
        using var document = JsonDocument.Parse(node?.ToJsonString() ?? "null");
        return document.RootElement.Clone();
    }
}
