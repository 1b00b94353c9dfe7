using System.Text.Json;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.WebHost.Automation;

/// <summary>Rules, macros and dry-run results as one line of text for lists (ids shown as queue slugs and staff emails).</summary>
public static class AutomationText
{
    /// <summary><c>subject contains "refund" and priority in high, urgent</c>; "every ticket" for none.</summary>
    public static string Conditions(TicketConditions conditions, AutomationVocabulary vocabulary)
    {
        string One(TicketCondition c) =>
            $"{c.Field} {AutomationVocabulary.Spell(c.Operator).Replace('_', ' ')}{(c.Value is { } v ? " " + Quoted(v, vocabulary) : "")}";
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

    /// <summary><c>set queue billing; set priority high; add tags refund</c>.</summary>
    public static string Actions(IEnumerable<TicketAction> actions, AutomationVocabulary vocabulary) =>
        string.Join("; ", AutomationForm.Rows(actions, vocabulary).Select(r => $"{r.Type.Replace('_', ' ')} {r.Value}".TrimEnd()));

    /// <summary>What a dry run says one rule would do: <c>queue_id: general → billing; notes: …</c>.</summary>
    public static string Firing(RuleFiring firing, AutomationVocabulary vocabulary)
    {
        var parts = firing.PublicChanges.Concat(firing.InternalChanges)
            .Select(c => $"{c.Key}: {Value(c.Value.Old, vocabulary)} → {Value(c.Value.New, vocabulary)}")
            .Concat(firing.Notes.Select(n => "internal note: " + n))
            .Concat(firing.Replies.Select(r => "reply: " + r))
            .Concat(firing.Notify.Select(n => "notify: " + n.GetRawText()))
            .ToList();
        return parts.Count == 0 ? "fires, changes nothing" : string.Join("; ", parts);
    }

    /// <summary>A ticket's fields a macro preview would change, compared with the ticket now.</summary>
    public static string Changes(Ticket before, Ticket after, AutomationVocabulary vocabulary)
    {
        var parts = new List<string>();
        if (before.Status != after.Status)
        {
            parts.Add($"status → {AutomationVocabulary.Snake(after.Status.ToString())}");
        }

        if (before.Priority != after.Priority)
        {
            parts.Add($"priority → {AutomationVocabulary.Snake(after.Priority.ToString())}");
        }

        if (before.QueueId != after.QueueId)
        {
            parts.Add($"queue → {(after.QueueId is { } q ? vocabulary.IdText(q.ToString("D")) : "none")}");
        }

        if (before.AssigneeId != after.AssigneeId)
        {
            parts.Add($"assignee → {(after.AssigneeId is { } a ? vocabulary.IdText(a.ToString("D")) : "none")}");
        }

        if (!before.Tags.SequenceEqual(after.Tags))
        {
            parts.Add($"tags → {string.Join(", ", after.Tags)}");
        }

        return string.Join("; ", parts);
    }

    private static string Value(JsonElement value, AutomationVocabulary vocabulary) =>
        value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? "none" : Quoted(value, vocabulary);

    private static string Quoted(JsonElement value, AutomationVocabulary vocabulary) => value.ValueKind switch
    {
        JsonValueKind.String when !Guid.TryParse(value.GetString(), out _) => $"\"{value.GetString()}\"",
        JsonValueKind.Array => "[" + vocabulary.Text(value) + "]",
        _ => vocabulary.Text(value),
    };
}
