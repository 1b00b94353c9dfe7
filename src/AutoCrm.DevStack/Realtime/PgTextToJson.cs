using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AutoCrm.DevStack.Realtime;

/// <summary>What the replication decoder needs to know about a column type.</summary>
/// <param name="Oid">pg_type.oid.</param>
/// <param name="Name">pg_type.typname (<c>int4</c>, <c>_text</c>, ...), sent to clients as <c>columns[].type</c>.</param>
/// <param name="SqlName">format_type(oid, null), used to cast parameters in SQL.</param>
/// <param name="Element">For arrays, the element type.</param>
/// <param name="Delimiter">For arrays, the element delimiter (',' for all but box).</param>
internal sealed record PgTypeInfo(uint Oid, string Name, string SqlName, PgTypeInfo? Element, char Delimiter = ',')
{
    public static PgTypeInfo Unknown(uint oid) => new(oid, "text", "text", null);
}

/// <summary>
/// Writes pgoutput text values as JSON the way Realtime's payloads carry them: numbers and booleans typed, json/jsonb
/// raw, arrays as JSON arrays, timestamps rendered like PostgREST (<c>2025-01-01T12:00:00.123+00:00</c>).
/// </summary>
internal static class PgTextToJson
{
    public static void Write(Utf8JsonWriter writer, string? text, PgTypeInfo type)
    {
        if (text is null)
        {
            writer.WriteNullValue();
            return;
        }

        if (type.Element is not null)
        {
            WriteArray(writer, text, type);
            return;
        }

        switch (type.Name)
        {
            case "int2" or "int4" or "int8" or "oid" or "numeric" or "float4" or "float8":
                if (IsJsonNumber(text))
                {
                    writer.WriteRawValue(text, skipInputValidation: true);
                }
                else
                {
                    writer.WriteStringValue(text); // NaN, Infinity
                }

                break;
            case "bool":
                writer.WriteBooleanValue(text == "t");
                break;
            case "json" or "jsonb":
                try
                {
                    writer.WriteRawValue(text);
                }
                catch (JsonException)
                {
                    writer.WriteStringValue(text);
                }

                break;
            case "timestamptz":
                writer.WriteStringValue(TimestampTz(text));
                break;
            case "timestamp":
                writer.WriteStringValue(text.Replace(' ', 'T'));
                break;
            default:
                writer.WriteStringValue(text);
                break;
        }
    }

    /// <summary>"2025-01-01 12:00:00.123+00" → "2025-01-01T12:00:00.123+00:00" (PostgREST's to_json rendering).</summary>
    public static string TimestampTz(string text)
    {
        if (text.Length < 11 || text[10] != ' ')
        {
            return text; // infinity, -infinity, BC dates
        }

        var s = string.Concat(text.AsSpan(0, 10), "T", text.AsSpan(11));
        var sign = Math.Max(s.LastIndexOf('+'), s.LastIndexOf('-'));
        if (sign > 10 && s.Length - sign == 3)
        {
            s += ":00";
        }

        return s;
    }

    private static bool IsJsonNumber(string text)
    {
        var i = 0;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        if (i >= text.Length || !char.IsAsciiDigit(text[i]))
        {
            return false;
        }

        if (text[i] == '0' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
        {
            return false;
        }

        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'))
            {
                return false;
            }
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    private static void WriteArray(Utf8JsonWriter writer, string text, PgTypeInfo type)
    {
        var pos = 0;
        // Arrays with explicit bounds ("[0:1]={...}") drop the bounds, as to_json does.
        if (text.StartsWith('['))
        {
            pos = text.IndexOf('=', StringComparison.Ordinal) + 1;
        }

        ReadLevel(writer, text, ref pos, type.Element!, type.Delimiter);
    }

    private static void ReadLevel(Utf8JsonWriter writer, string text, ref int pos, PgTypeInfo element, char delimiter)
    {
        if (pos >= text.Length || text[pos] != '{')
        {
            writer.WriteStringValue(text);
            return;
        }

        pos++;
        writer.WriteStartArray();
        while (pos < text.Length)
        {
            var c = text[pos];
            if (c == '}')
            {
                pos++;
                break;
            }

            if (c == delimiter || char.IsWhiteSpace(c))
            {
                pos++;
                continue;
            }

            if (c == '{')
            {
                ReadLevel(writer, text, ref pos, element, delimiter);
                continue;
            }

            string? item;
            if (c == '"')
            {
                var sb = new StringBuilder();
                pos++;
                while (pos < text.Length && text[pos] != '"')
                {
                    if (text[pos] == '\\' && pos + 1 < text.Length)
                    {
                        pos++;
                    }

                    sb.Append(text[pos]);
                    pos++;
                }

                pos++;
                item = sb.ToString();
            }
            else
            {
                var start = pos;
                while (pos < text.Length && text[pos] != delimiter && text[pos] != '}')
                {
                    pos++;
                }

                item = text[start..pos].Trim();
                if (item.Equals("NULL", StringComparison.OrdinalIgnoreCase))
                {
                    item = null;
                }
            }

            Write(writer, item, element);
        }

        writer.WriteEndArray();
    }
}
