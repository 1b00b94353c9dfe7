using System.Text.RegularExpressions;

namespace AutoCrm.Sdk.Internal;

/// <summary>
/// Turns a refused value (HTTP 400/422) into a message fit to show a user and the field it belongs to. Constraint names
/// and the server's own wording move to <see cref="CrmErrorInfo.Details"/>. The rules are in docs/sdk-conventions.md
/// ("Validation errors"); SQL that rejects a value names the field with a message that starts <c>field "key": </c>.
/// </summary>
internal static partial class ValidationErrors
{
    /// <summary>The check constraints of the AutoCRM schema, with the field and the rule in words.</summary>
    private static readonly Dictionary<string, (string Field, string Message)> KnownConstraints = new(StringComparer.Ordinal)
    {
        ["tickets_subject_length"] = ("subject", "The subject must be 1 to 300 characters and not only spaces."),
        ["tickets_metadata_is_object"] = ("metadata", "Metadata must be a JSON object."),
        ["tickets_tags_no_nulls"] = ("tags", "Tags cannot contain null."),
        ["ticket_messages_body_length"] = ("body", "A message must be 1 to 100,000 characters and not only spaces."),
        ["ticket_messages_metadata_is_object"] = ("metadata", "Metadata must be a JSON object."),
        ["queues_slug_format"] = ("slug", "A queue slug is 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter or digit."),
        ["queues_name_length"] = ("name", "A queue name must be 1 to 100 characters and not only spaces."),
        ["profiles_display_name_length"] = ("display_name", "A display name can be at most 200 characters."),
        ["profiles_metadata_is_object"] = ("metadata", "Metadata must be a JSON object."),
    };

    /// <summary>Auth error codes that concern one input.</summary>
    private static readonly Dictionary<string, string> AuthCodeFields = new(StringComparer.Ordinal)
    {
        ["weak_password"] = "password",
        ["same_password"] = "password",
        ["email_address_invalid"] = "email",
        ["email_address_not_authorized"] = "email",
        ["phone_not_confirmed"] = "phone",
    };

    /// <summary>Suffixes of constraint names that say what kind of rule it is (<c>{table}_{column}_{rule}</c>).</summary>
    private static readonly string[] RuleSuffixes = ["_length", "_format", "_is_object", "_no_nulls", "_positive", "_check", "_range", "_not_blank"];

    public static CrmErrorInfo Describe(CrmErrorInfo info)
    {
        if (info.Field is not null)
        {
            return info;
        }

        if (info.Code is { } authCode && AuthCodeFields.TryGetValue(authCode, out var authField))
        {
            return info with { Field = authField };
        }

        var message = info.Message;
        if (FieldPrefix().Match(message) is { Success: true } named)
        {
            return info with { Field = named.Groups[1].Value };
        }

        switch (info.Code)
        {
            case "23514" when CheckConstraint().Match(message) is { Success: true } check:
                var constraint = check.Groups[2].Value;
                if (KnownConstraints.TryGetValue(constraint, out var known))
                {
                    return Rewritten(info, known.Field, known.Message);
                }

                var field = FieldOf(check.Groups[1].Value, constraint);
                return Rewritten(info, field, field is null ? "A value breaks a rule of the database." : $"The value of {field} is not allowed.");
            case "23502" when NotNullColumn().Match(message) is { Success: true } notNull:
                return Rewritten(info, notNull.Groups[1].Value, $"A value for {notNull.Groups[1].Value} is required.");
            case "22001":
                return Rewritten(info, null, "A value is longer than the database allows.");
            default:
                return info;
        }
    }

    private static CrmErrorInfo Rewritten(CrmErrorInfo info, string? field, string message) => info with
    {
        Field = field,
        Message = message,
        Details = CrmErrors.Original(info.Status, info.Code, info.Message, info.Details),
    };

    /// <summary><c>tickets_subject_length</c> on <c>tickets</c> → <c>subject</c>; <see langword="null"/> when the name has another shape.</summary>
    private static string? FieldOf(string table, string constraint)
    {
        if (!constraint.StartsWith(table + "_", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = constraint[(table.Length + 1)..];
        foreach (var suffix in RuleSuffixes)
        {
            if (rest.EndsWith(suffix, StringComparison.Ordinal) && rest.Length > suffix.Length)
            {
                return rest[..^suffix.Length];
            }
        }

        return null;
    }

    [GeneratedRegex("^field \"([^\"]+)\": ")]
    private static partial Regex FieldPrefix();

    [GeneratedRegex("relation \"([^\"]+)\" violates check constraint \"([^\"]+)\"")]
    private static partial Regex CheckConstraint();

    [GeneratedRegex("null value in column \"([^\"]+)\"")]
    private static partial Regex NotNullColumn();
}
