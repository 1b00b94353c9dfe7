using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary>
/// Conditions and actions written on the command line, one per option: <c>--when "subject contains refund"</c> is
/// <c>FIELD OPERATOR [VALUE]</c>, <c>--do "set_queue billing"</c> is <c>TYPE [VALUE]</c>. Values are written as people know
/// them (a queue's slug, a user's email, tags comma separated, <c>key=value</c> for <c>set_field</c>) or as JSON
/// (<c>["high","urgent"]</c>, <c>"a quoted text"</c>). Only the shape is checked here; the database checks the rest when the
/// rule is saved, and its message names the bad part.
/// </summary>
internal static class RuleText
{
    private static readonly HashSet<string> Valueless = new(StringComparer.Ordinal) { "is_empty", "is_not_empty", "changed" };

    /// <summary>The condition <paramref name="text"/> says.</summary>
    internal static async Task<TicketCondition> ConditionAsync(CrmClient crm, string text, string option, CancellationToken cancellationToken)
    {
        var parts = text.Trim().Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            throw new UsageException($"{option} \"{text}\": write FIELD OPERATOR [VALUE], e.g. \"subject contains refund\"");
        }

        var (field, op) = (parts[0], parts[1]);
        var value = parts.Length > 2 ? parts[2].Trim() : "";
        var parsed = Arguments.ParseEnum<ConditionOperator>(op, $"{option} \"{text}\": the operator");
        if (Valueless.Contains(Arguments.Snake(parsed)))
        {
            return value.Length == 0
                ? new TicketCondition { Field = field, Operator = parsed }
                : throw new UsageException($"{option} \"{text}\": {op} takes no value");
        }

        if (value.Length == 0)
        {
            throw new UsageException($"{option} \"{text}\": {op} needs a value");
        }

        JsonNode? json;
        if (TryJson(value) is { } literal)
        {
            json = literal;
        }
        else if (parsed is ConditionOperator.In or ConditionOperator.NotIn || (field == "tags" && value.Contains(',', StringComparison.Ordinal)))
        {
            var items = new JsonArray();
            foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                items.Add(await ScalarAsync(crm, field, item, cancellationToken).ConfigureAwait(false));
            }

            json = items;
        }
        else
        {
            json = await ScalarAsync(crm, field, value, cancellationToken).ConfigureAwait(false);
        }

        return new TicketCondition { Field = field, Operator = parsed, Value = Element(json) };
    }

    /// <summary>The action <paramref name="text"/> says.</summary>
    internal static async Task<TicketAction> ActionAsync(CrmClient crm, string text, CancellationToken cancellationToken)
    {
        var parts = text.Trim().Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new UsageException("--do: write TYPE [VALUE], e.g. \"add_tags refund\"");
        }

        var type = Arguments.ParseEnum<TicketActionType>(parts[0], $"--do \"{text}\": the action");
        var value = parts.Length > 1 ? parts[1].Trim() : "";
        JsonNode? json = type switch
        {
            TicketActionType.SetQueue when value is "" or "none" => null,
            TicketActionType.SetQueue => (await Arguments.QueueAsync(crm, value, cancellationToken).ConfigureAwait(false)).Id.ToString("D"),
            TicketActionType.Assign when value == "none" => "none",
            TicketActionType.Assign => (await Arguments.UserIdAsync(crm, value, cancellationToken).ConfigureAwait(false)).ToString("D"),
            TicketActionType.AddTags or TicketActionType.RemoveTags => TryJson(value)
                ?? new JsonArray(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => (JsonNode?)t).ToArray()),
            TicketActionType.SetField => FieldValue(text, value),
            TicketActionType.Notify when value.StartsWith('{') => TryJson(value) ?? value,
            _ => value,
        };
        return new TicketAction { Type = type, Value = Element(json) };
    }

    /// <summary>One line for a list: <c>subject contains "refund"</c>.</summary>
    internal static string Describe(TicketConditions conditions)
    {
        static string One(TicketCondition c) => $"{c.Field} {Arguments.Snake(c.Operator)}{(c.Value is { } v ? " " + v.GetRawText() : "")}";
        var all = string.Join(" and ", conditions.All.Select(One));
        var any = string.Join(" or ", conditions.Any.Select(One));
        return (all.Length, any.Length) switch
        {
            (0, 0) => "every ticket",
            (_, 0) => all,
            (0, _) => any,
            _ => $"{all} and ({any})",
        };
    }

    /// <summary>One line for a list: <c>set_queue "…"; add_tags ["refund"]</c>.</summary>
    internal static string Describe(IEnumerable<TicketAction> actions) =>
        string.Join("; ", actions.Select(a => $"{Arguments.Snake(a.Type)} {a.Value.GetRawText()}"));

    private static async Task<JsonNode?> ScalarAsync(CrmClient crm, string field, string text, CancellationToken cancellationToken)
    {
        switch (field)
        {
            case "queue_id":
                return (await Arguments.QueueAsync(crm, text, cancellationToken).ConfigureAwait(false)).Id.ToString("D");
            case "assignee_id" or "requester_id":
                return (await Arguments.UserIdAsync(crm, text, cancellationToken).ConfigureAwait(false)).ToString("D");
            case "number":
                return decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var n) ? n : text;
            default:
                if (field.StartsWith("metadata.", StringComparison.Ordinal))
                {
                    return text is "true" or "false" ? text == "true"
                        : decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var m) ? m : text;
                }

                return text;
        }
    }

    /// <summary><c>key=value</c>: the value as JSON when it reads as JSON (a number, true, a list), else as text; empty clears.</summary>
    private static JsonObject FieldValue(string text, string value)
    {
        var parts = value.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length < 2 || parts[0].Length == 0)
        {
            throw new UsageException($"--do \"{text}\": write set_field KEY=VALUE (an empty value clears the field)");
        }

        JsonNode? json = parts[1].Length == 0 ? null
            : parts[1] is "true" or "false" ? parts[1] == "true"
            : decimal.TryParse(parts[1], NumberStyles.Number, CultureInfo.InvariantCulture, out var n) ? n
            : TryJson(parts[1]) ?? parts[1];
        return new JsonObject { ["key"] = parts[0], ["value"] = json };
    }

    /// <summary>The text as JSON when it is written as a JSON list, object or quoted string.</summary>
    private static JsonNode? TryJson(string text)
    {
        if (text.Length == 0 || text[0] is not ('[' or '{' or '"'))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonElement Element(JsonNode? node)
    {
        using var document = JsonDocument.Parse(node?.ToJsonString() ?? "null");
        return document.RootElement.Clone();
    }
}
