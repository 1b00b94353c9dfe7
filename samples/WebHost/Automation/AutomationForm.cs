using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Fields;

namespace AutoCrm.WebHost.Automation;

/// <summary>One condition as the form shows it: which list (<c>all</c> or <c>any</c>), field, operator and typed-in value.</summary>
public sealed record ConditionRow(string Group, string Field, string Operator, string Value);

/// <summary>One action as the form shows it: type and typed-in value (for <c>set_field</c>: <c>key = value</c>).</summary>
public sealed record ActionRow(string Type, string Value);

/// <summary>A value the form cannot turn into the vocabulary (an unknown queue or agent): shown next to the form like the
/// database's own refusals.</summary>
public sealed class AutomationFormException(string message) : Exception(message);

/// <summary>
/// Conditions and actions in HTML forms: rows of selects and text inputs (no JSON to type), read back into the SDK's
/// <see cref="TicketConditions"/> and <see cref="TicketAction"/>s. Input names are <c>cond_field_0</c>, <c>act_type_0</c>, …;
/// a row left without a field or type is ignored, so the form always offers a few empty rows.
/// </summary>
public static class AutomationForm
{
    /// <summary>Empty rows offered below the filled-in ones.</summary>
    public const int SpareRows = 3;

    /// <summary>At most this many rows of each kind are read (the database allows 50 of each).</summary>
    public const int MaxRows = 50;

    /// <summary>The rows of saved conditions, <c>all</c> first.</summary>
    public static IReadOnlyList<ConditionRow> Rows(TicketConditions conditions, AutomationVocabulary vocabulary) =>
        conditions.All.Select(c => Row("all", c, vocabulary)).Concat(conditions.Any.Select(c => Row("any", c, vocabulary))).ToList();

    /// <summary>The rows of saved actions.</summary>
    public static IReadOnlyList<ActionRow> Rows(IEnumerable<TicketAction> actions, AutomationVocabulary vocabulary) =>
        actions.Select(a => new ActionRow(AutomationVocabulary.Spell(a.Type), ActionText(a, vocabulary))).ToList();

    /// <summary>The condition rows as posted (so that a refused form comes back as the user left it).</summary>
    public static IReadOnlyList<ConditionRow> PostedConditions(IFormCollection form)
    {
        var rows = new List<ConditionRow>();
        for (var i = 0; i < MaxRows && form.ContainsKey($"cond_field_{i}"); i++)
        {
            var row = new ConditionRow(form[$"cond_group_{i}"].ToString(), form[$"cond_field_{i}"].ToString().Trim(), form[$"cond_op_{i}"].ToString(), form[$"cond_value_{i}"].ToString().Trim());
            if (row.Field.Length > 0)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>The action rows as posted.</summary>
    public static IReadOnlyList<ActionRow> PostedActions(IFormCollection form)
    {
        var rows = new List<ActionRow>();
        for (var i = 0; i < MaxRows && form.ContainsKey($"act_type_{i}"); i++)
        {
            var row = new ActionRow(form[$"act_type_{i}"].ToString(), form[$"act_value_{i}"].ToString().Trim());
            if (row.Type.Length > 0)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>The conditions the rows say.</summary>
    /// <exception cref="AutomationFormException">A value names no queue or staff member.</exception>
    public static TicketConditions Conditions(IReadOnlyList<ConditionRow> rows, AutomationVocabulary vocabulary)
    {
        var all = new List<TicketCondition>();
        var any = new List<TicketCondition>();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var op = AutomationVocabulary.ParseOperator(row.Operator)
                ?? throw new AutomationFormException($"Condition {i + 1}: \"{row.Operator}\" is not an operator.");
            var condition = new TicketCondition
            {
                Field = row.Field,
                Operator = op,
                Value = AutomationVocabulary.ValuelessOperators.Contains(row.Operator) ? null : AutomationVocabulary.Element(ConditionValue(row, vocabulary, i)),
            };
            (row.Group == "any" ? any : all).Add(condition);
        }

        return new TicketConditions { All = all, Any = any };
    }

    /// <summary>The actions the rows say.</summary>
    /// <exception cref="AutomationFormException">A type is unknown, or a value names no queue, staff member or field.</exception>
    public static IReadOnlyList<TicketAction> Actions(IReadOnlyList<ActionRow> rows, AutomationVocabulary vocabulary)
    {
        var actions = new List<TicketAction>();
        for (var i = 0; i < rows.Count; i++)
        {
            var type = AutomationVocabulary.ParseActionType(rows[i].Type)
                ?? throw new AutomationFormException($"Action {i + 1}: \"{rows[i].Type}\" is not an action.");
            actions.Add(new TicketAction { Type = type, Value = AutomationVocabulary.Element(ActionValue(type, rows[i].Value, vocabulary, i)) });
        }

        return actions;
    }

    private static ConditionRow Row(string group, TicketCondition condition, AutomationVocabulary vocabulary) =>
        new(group, condition.Field, AutomationVocabulary.Spell(condition.Operator), vocabulary.Text(condition.Value));

    private static string ActionText(TicketAction action, AutomationVocabulary vocabulary)
    {
        if (action.Type == TicketActionType.SetField && action.Value.ValueKind == JsonValueKind.Object
            && action.Value.TryGetProperty("key", out var key) && action.Value.TryGetProperty("value", out var value))
        {
            return $"{key.GetString()} = {vocabulary.Text(value)}";
        }

        if (action.Type == TicketActionType.SetQueue && action.Value.ValueKind == JsonValueKind.Null)
        {
            return "none";
        }

        return action.Value.ValueKind == JsonValueKind.Object ? action.Value.GetRawText() : vocabulary.Text(action.Value);
    }

    private static JsonNode? ConditionValue(ConditionRow row, AutomationVocabulary vocabulary, int index)
    {
        var isList = row.Operator is "in" or "not_in" || (row.Field == "tags" && row.Operator is "contains" or "not_contains" && row.Value.Contains(','));
        if (isList)
        {
            return new JsonArray(AutomationVocabulary.List(row.Value).Select(item => ConditionScalar(row.Field, item, vocabulary, index)).ToArray());
        }

        return ConditionScalar(row.Field, row.Value, vocabulary, index);
    }

    private static JsonNode? ConditionScalar(string field, string text, AutomationVocabulary vocabulary, int index) => field switch
    {
        "queue_id" => JsonValue.Create((vocabulary.FindQueue(text) ?? throw new AutomationFormException($"Condition {index + 1}: there is no queue \"{text}\" (write its slug or name).")).Id.ToString("D")),
        "assignee_id" => JsonValue.Create((vocabulary.FindStaff(text) ?? throw new AutomationFormException($"Condition {index + 1}: no agent or admin has the email \"{text}\".")).Id.ToString("D")),
        "number" => AutomationVocabulary.Scalar(text),
        _ when field.StartsWith("metadata.", StringComparison.Ordinal) => AutomationVocabulary.Scalar(text),
        _ => JsonValue.Create(text),
    };

    private static JsonNode? ActionValue(TicketActionType type, string text, AutomationVocabulary vocabulary, int index)
    {
        switch (type)
        {
            case TicketActionType.SetQueue:
                return text is "" or "none"
                    ? null
                    : JsonValue.Create((vocabulary.FindQueue(text) ?? throw new AutomationFormException($"Action {index + 1}: there is no queue \"{text}\" (write its slug or name, or none).")).Id.ToString("D"));
            case TicketActionType.Assign:
                return text == "none"
                    ? JsonValue.Create("none")
                    : JsonValue.Create((vocabulary.FindStaff(text) ?? throw new AutomationFormException($"Action {index + 1}: no agent or admin has the email \"{text}\" (or write none).")).Id.ToString("D"));
            case TicketActionType.AddTags:
            case TicketActionType.RemoveTags:
                return new JsonArray(AutomationVocabulary.List(text).Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
            case TicketActionType.SetField:
                return FieldValue(text, vocabulary, index);
            case TicketActionType.Notify when text.StartsWith('{'):
                try
                {
                    return JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    return JsonValue.Create(text);
                }

            default:
                return JsonValue.Create(text);
        }
    }

    /// <summary><c>key = value</c>, typed by the field's definition (a list for multiselect, a number, yes/no); empty clears it.</summary>
    private static JsonObject FieldValue(string text, AutomationVocabulary vocabulary, int index)
    {
        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length < 2 || parts[0].Length == 0)
        {
            throw new AutomationFormException($"Action {index + 1}: write the field as key = value (an empty value clears it).");
        }

        var field = vocabulary.Fields.FirstOrDefault(f => f.Key == parts[0]);
        var value = parts[1];
        JsonNode? json = value.Length == 0 ? null : field?.Type switch
        {
            TicketFieldType.Multiselect => new JsonArray(AutomationVocabulary.List(value).Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
            TicketFieldType.Integer or TicketFieldType.Decimal or TicketFieldType.Checkbox => AutomationVocabulary.Scalar(value),
            null => AutomationVocabulary.Scalar(value),
            _ => JsonValue.Create(value),
        };
        return new JsonObject { ["key"] = parts[0], ["value"] = json };
    }

    /// <summary>The message a page shows for a refused rule or macro: the database's (<c>field "conditions": …</c>) or the form's.</summary>
    public static string? Problem(Exception exception) => exception switch
    {
        AutomationFormException e => e.Message,
        CrmValidationException e => e.Message,
        CrmException e when e.Status is >= 400 and < 500 and not 401 => e.Message,
        _ => null,
    };
}

/// <summary>What the condition rows partial renders.</summary>
public sealed record ConditionRowsView(IReadOnlyList<ConditionRow> Rows, AutomationVocabulary Vocabulary);

/// <summary>What the action rows partial renders (macros offer no <c>notify</c>).</summary>
public sealed record ActionRowsView(IReadOnlyList<ActionRow> Rows, AutomationVocabulary Vocabulary, bool ForMacro);
