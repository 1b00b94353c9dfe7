using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AutoCrm.Sdk.Internal;

/// <summary>PostgREST query-string spelling: value formatting, quoting inside <c>in.()</c> and logic trees, URL escaping.</summary>
internal static class RestText
{
    /// <summary>Formats a filter value the way PostgreSQL reads untyped literals.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        string s => s,
        bool b => b ? "true" : "false",
        Guid g => g.ToString("D"),
        DateTimeOffset d => FormatTimestamp(d),
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        Enum e => EnumText.Get(e),
        JsonNode n => n.ToJsonString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Microsecond precision, like PostgreSQL's timestamptz, so keyset cursors compare exactly.</summary>
    public static string FormatTimestamp(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);

    /// <summary>Quotes a value for use inside <c>in.(…)</c> or a logic tree when it holds a reserved character.</summary>
    public static string QuoteListItem(string value)
    {
        if (value.Length > 0 && !NeedsQuotes(value))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.Append('"').ToString();
    }

    private static bool NeedsQuotes(string value)
    {
        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            return true;
        }

        foreach (var c in value)
        {
            if (c is ',' or '.' or ':' or '(' or ')' or '"' or '\\')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A PostgreSQL array literal <c>{a,"b c"}</c>.</summary>
    public static string ArrayLiteral(IEnumerable<string> items)
    {
        var builder = new StringBuilder("{");
        var first = true;
        foreach (var item in items)
        {
            if (!first)
            {
                builder.Append(',');
            }

            first = false;
            var quote = item.Length == 0 || item.Equals("null", StringComparison.OrdinalIgnoreCase)
                || item.AsSpan().IndexOfAny(",{}\"\\ \t\n") >= 0;
            if (!quote)
            {
                builder.Append(item);
                continue;
            }

            builder.Append('"');
            foreach (var c in item)
            {
                if (c is '"' or '\\')
                {
                    builder.Append('\\');
                }

                builder.Append(c);
            }

            builder.Append('"');
        }

        return builder.Append('}').ToString();
    }

    /// <summary>Removes whitespace outside double quotes (as postgrest-js does with <c>select</c>).</summary>
    public static string CleanSelect(string columns)
    {
        var builder = new StringBuilder(columns.Length);
        var quoted = false;
        foreach (var c in columns)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }

            if (!quoted && char.IsWhiteSpace(c))
            {
                continue;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>Escapes a query-string component, keeping PostgREST's readable punctuation (<c>,().:*</c>) as is.</summary>
    public static void AppendEscaped(StringBuilder builder, string text)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            var v = rune.Value;
            if (v < 128 && (char.IsAsciiLetterOrDigit((char)v) || v is '-' or '_' or '.' or '~' or ',' or '(' or ')' or ':' or '*' or '!' or '\''))
            {
                builder.Append((char)v);
                continue;
            }

            var length = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < length; i++)
            {
                builder.Append('%').Append(utf8[i].ToString("X2", CultureInfo.InvariantCulture));
            }
        }
    }
}
