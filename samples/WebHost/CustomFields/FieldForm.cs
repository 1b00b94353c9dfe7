using System.Globalization;
using System.Text.RegularExpressions;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Fields;

namespace AutoCrm.WebHost.CustomFields;

/// <summary>
/// Custom field inputs in HTML forms: which fields a user fills in, the form name of each input, and turning what the
/// browser posts back into <see cref="TicketFieldValue"/>s. Validation is the database's: a value the browser cannot turn
/// into the field's .NET type is sent as text, so the database's own message comes back for it.
/// </summary>
internal static partial class FieldForm
{
    /// <summary>The form name of a field's input (keys are lower-case letters, digits and <c>_</c>: safe in HTML names).</summary>
    public static string InputName(TicketField field) => "cf_" + field.Key;

    /// <summary>The fields a user fills in: staff every active field; customers the active customer-editable ones (row-level
    /// security already hides agent-only definitions from them).</summary>
    public static IReadOnlyList<TicketField> Editable(IEnumerable<TicketField> fields, bool isStaff) =>
        fields.Where(f => f.Active && (isStaff || (f.CustomerVisible && f.CustomerEditable))).OrderBy(f => f.Position).ToList();

    /// <summary>Whether the user must fill the field in on a new ticket.</summary>
    public static bool IsRequired(TicketField field, bool isStaff) => isStaff ? field.RequiredForAgents : field.RequiredForCustomers;

    /// <summary>The value posted for a field; <see cref="TicketFieldValue.None"/> when left empty.</summary>
    public static TicketFieldValue Read(IFormCollection form, TicketField field)
    {
        var posted = form[InputName(field)];
        if (field.Type == TicketFieldType.Multiselect)
        {
            var chosen = posted.Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).Distinct(StringComparer.Ordinal).ToList();
            return chosen.Count == 0 ? TicketFieldValue.None : TicketFieldValue.Options(chosen);
        }

        if (field.Type == TicketFieldType.Checkbox)
        {
            // An unchecked box posts nothing; the hidden companion input says the box was on the form.
            return posted.Contains("true") ? TicketFieldValue.Checkbox(true) : TicketFieldValue.Checkbox(false);
        }

        var text = posted.ToString();
        if (field.Type != TicketFieldType.Textarea)
        {
            text = text.Trim();
        }

        if (text.Length == 0)
        {
            return TicketFieldValue.None;
        }

        return field.Type switch
        {
            TicketFieldType.Integer when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => TicketFieldValue.Integer(n),
            TicketFieldType.Decimal when decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => TicketFieldValue.Decimal(d),
            _ => TicketFieldValue.Text(text),
        };
    }

    /// <summary>
    /// The values a form sets on a new ticket: every filled-in field. A checkbox left unchecked is no value here, so a
    /// required checkbox must be ticked.
    /// </summary>
    public static CrmMetadata ForNewTicket(IFormCollection form, IEnumerable<TicketField> fields, CrmMetadata metadata)
    {
        foreach (var field in fields)
        {
            var value = Read(form, field);
            if (!value.IsNone && !(field.Type == TicketFieldType.Checkbox && value.AsCheckbox() == false))
            {
                metadata = metadata.WithFieldValue(field.Key, value);
            }
        }

        return metadata;
    }

    /// <summary>The changes a form makes to a ticket's current values, for a merge update (<c>null</c> clears a field).
    /// Unchanged fields, and fields the form did not carry, are left out, so saving records only what the user changed. A checkbox that had no
    /// value and is left unchecked stays without one.</summary>
    public static CrmMetadata Changes(IFormCollection form, IEnumerable<TicketField> fields, CrmMetadata current)
    {
        var changes = CrmMetadata.Empty;
        foreach (var field in fields.Where(f => form.ContainsKey(InputName(f))))
        {
            var before = current.GetFieldValue(field.Key);
            var after = Read(form, field);
            if (field.Type == TicketFieldType.Checkbox && before.IsNone && after.AsCheckbox() == false)
            {
                continue;
            }

            if (!after.Equals(before))
            {
                changes = changes.WithFieldValue(field.Key, after);
            }
        }

        return changes;
    }

    /// <summary>The custom field a refusal names, if any: the SDK's <see cref="CrmValidationException.Field"/>, or the
    /// database's <c>field "key": </c> message prefix (a customer changing a field she may not change is a 403).</summary>
    public static string? FieldOf(CrmException exception) => exception switch
    {
        CrmValidationException { Field: { Length: > 0 } field } => field,
        _ when FieldPrefix().Match(exception.Message) is { Success: true } m => m.Groups[1].Value,
        _ => null,
    };

    /// <summary>A value as people read it: option labels for dropdowns and multiselects, yes/no for checkboxes.</summary>
    public static string Format(TicketField field, TicketFieldValue value)
    {
        if (value.IsNone)
        {
            return "";
        }

        string Label(string option) => field.Options.FirstOrDefault(o => o.Value == option)?.Label ?? option;
        return field.Type switch
        {
            TicketFieldType.Checkbox when value.Json.ValueKind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => value.AsCheckbox() == true ? "yes" : "no",
            TicketFieldType.Dropdown when value.Json.ValueKind == System.Text.Json.JsonValueKind.String => Label(value.AsText()!),
            TicketFieldType.Multiselect when value.Json.ValueKind == System.Text.Json.JsonValueKind.Array => string.Join(", ", value.AsOptions().Select(Label)),
            _ => value.Json.ValueKind == System.Text.Json.JsonValueKind.String ? value.Json.GetString()! : value.Json.GetRawText(),
        };
    }

    /// <summary>The text a value puts in a single input (the raw value, not a label).</summary>
    public static string InputText(TicketFieldValue value) => value.IsNone
        ? ""
        : value.Json.ValueKind == System.Text.Json.JsonValueKind.String ? value.Json.GetString()! : value.Json.GetRawText();

    /// <summary>The options a multiselect value holds (none when the stored value is not a list of strings).</summary>
    public static IReadOnlyList<string> Chosen(TicketFieldValue value) =>
        value.Json.ValueKind == System.Text.Json.JsonValueKind.Array
            ? value.Json.EnumerateArray().Where(e => e.ValueKind == System.Text.Json.JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : [];

    [GeneratedRegex("^field \"([a-z][a-z0-9_]{0,62})\": ")]
    private static partial Regex FieldPrefix();
}

/// <summary>What the field inputs partial renders: the fields, their current (or just posted) values, and the database's
/// refusal for one of them.</summary>
public sealed record FieldInputs(IReadOnlyList<TicketField> Fields, CrmMetadata Values, bool IsStaff, bool ForNewTicket, string? ErrorField, string? ErrorMessage);
