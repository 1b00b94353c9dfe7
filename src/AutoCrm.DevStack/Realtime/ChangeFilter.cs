using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AutoCrm.DevStack.Realtime;

/// <summary>A filter operator of the postgres_changes <c>filter</c> string (docs/protocols.md#postgres-changes).</summary>
internal enum FilterOperator
{
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Is,
    Like,
    Ilike,
    Match,
    Imatch,
    IsDistinct,
}

/// <summary>
/// One condition <c>column=[not.]op.value</c>; a binding's filter is the AND of its conditions. The operators are
/// Supabase Realtime's (its <c>realtime.equality_op</c>): eq, neq, lt, lte, gt, gte, in (at most 100 values), like,
/// ilike, is, match (<c>~</c>), imatch (<c>~*</c>) and isdistinct, each negatable with <c>not.</c>. Values compare
/// as the column's type; like/ilike patterns are SQL LIKE patterns (<c>%</c>, <c>_</c>, backslash escapes; unlike
/// PostgREST, <c>*</c> is a literal star, as in Realtime's check_equality_op).
/// </summary>
internal sealed record FilterCondition(string Column, FilterOperator Operator, bool Negated, string Value, IReadOnlyList<string> Values)
{
    /// <summary>Realtime refuses an <c>in</c> list longer than this.</summary>
    public const int MaxInValues = 100;

    private static readonly HashSet<string> TextTypes = new(StringComparer.Ordinal) { "text", "varchar", "bpchar", "name", "citext" };

    private Regex? _pattern;

    /// <summary>Parses a filter string; throws <see cref="FormatException"/> with a message for the client.</summary>
    public static IReadOnlyList<FilterCondition> ParseAll(string filter)
    {
        var conditions = new List<FilterCondition>();
        foreach (var part in SplitTopLevel(filter, ','))
        {
            conditions.Add(Parse(part));
        }

        return conditions;
    }

    private static FilterCondition Parse(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new FormatException($"`{text}` is not of the form column=op.value");
        }

        var column = text[..eq].Trim();
        var rest = text[(eq + 1)..];
        var negated = false;
        if (rest.StartsWith("not.", StringComparison.Ordinal))
        {
            negated = true;
            rest = rest[4..];
        }

        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            throw new FormatException($"`{text}` has no operator (expected column=op.value)");
        }

        var opText = rest[..dot];
        var value = rest[(dot + 1)..];
        var op = opText switch
        {
            "eq" => FilterOperator.Eq,
            "neq" => FilterOperator.Neq,
            "lt" => FilterOperator.Lt,
            "lte" => FilterOperator.Lte,
            "gt" => FilterOperator.Gt,
            "gte" => FilterOperator.Gte,
            "in" => FilterOperator.In,
            "is" => FilterOperator.Is,
            "like" => FilterOperator.Like,
            "ilike" => FilterOperator.Ilike,
            "match" => FilterOperator.Match,
            "imatch" => FilterOperator.Imatch,
            "isdistinct" => FilterOperator.IsDistinct,
            _ => throw new FormatException($"operator `{opText}` is not supported (eq, neq, lt, lte, gt, gte, in, like, ilike, is, match, imatch, isdistinct, each optionally after not.)"),
        };

        IReadOnlyList<string> values = [];
        if (op == FilterOperator.In)
        {
            if (value.Length < 2 || value[0] != '(' || value[^1] != ')')
            {
                throw new FormatException($"`in` expects a list in parentheses, e.g. {column}=in.(1,2), got `{value}`");
            }

            values = [.. SplitTopLevel(value[1..^1], ',').Select(Unquote)];
            if (values.Count > MaxInValues)
            {
                throw new FormatException($"too many values for `in` filter. Maximum {MaxInValues}");
            }
        }
        else if (op == FilterOperator.Is && value is not ("null" or "true" or "false" or "unknown"))
        {
            throw new FormatException($"`is` expects null, true, false or unknown, got `{value}`");
        }

        return new FilterCondition(column, op, negated, Unquote(value), values);
    }

    /// <summary>Checks that the filter's values can be cast to the column type (as Realtime's SQL cast would).</summary>
    public string? ValidateFor(string typeName)
    {
        switch (Operator)
        {
            case FilterOperator.Is:
                // IS NULL works on any type; IS TRUE/FALSE/UNKNOWN need a boolean operand.
                return Value == "null" || typeName == "bool" ? null : $"is {Value} filter requires a boolean column, got {typeName}";
            case FilterOperator.Like or FilterOperator.Ilike:
                return TextTypes.Contains(typeName) ? null : $"operator {OperatorName} requires a text-compatible column type, got {typeName}";
            case FilterOperator.Match or FilterOperator.Imatch:
                if (!TextTypes.Contains(typeName))
                {
                    return $"operator {OperatorName} requires a text-compatible column type, got {typeName}";
                }

                try
                {
                    _pattern ??= new Regex(Value, RegexOptions.CultureInvariant | (Operator == FilterOperator.Imatch ? RegexOptions.IgnoreCase : RegexOptions.None), TimeSpan.FromMilliseconds(100));
                    return null;
                }
                catch (ArgumentException ex)
                {
                    return $"invalid regular expression for {OperatorName} filter: {ex.Message}";
                }

            default:
                break;
        }

        foreach (var v in Operator == FilterOperator.In ? Values : [Value])
        {
            if (!TypedValue.TryParse(typeName, v, out _))
            {
                return $"invalid input syntax for type {typeName}: \"{v}\"";
            }
        }

        return null;
    }

    /// <summary>Evaluates the condition on a column's text value (null = SQL NULL) of the given type.</summary>
    public bool Matches(string? columnText, string typeName)
    {
        if (Operator == FilterOperator.Is)
        {
            var result = Value switch
            {
                "null" => columnText is null,
                "true" => columnText is not null && TypedValue.TryParse("bool", columnText, out var t) && t.Equals(TypedValue.True),
                "false" => columnText is not null && TypedValue.TryParse("bool", columnText, out var f) && f.Equals(TypedValue.False),
                _ => columnText is null,
            };
            return Negated ? !result : result;
        }

        if (Operator == FilterOperator.IsDistinct)
        {
            // The filter value is never NULL, so a NULL column is distinct from it.
            var distinct = columnText is null || Compare(columnText, Value, typeName) is not 0;
            return Negated ? !distinct : distinct;
        }

        // A NULL column value never passes a comparison (SQL three-valued logic), negated or not.
        if (columnText is null)
        {
            return false;
        }

        bool matched;
        switch (Operator)
        {
            case FilterOperator.Like:
            case FilterOperator.Ilike:
                _pattern ??= LikeToRegex(Value, Operator == FilterOperator.Ilike);
                matched = _pattern.IsMatch(columnText);
                break;
            case FilterOperator.Match:
            case FilterOperator.Imatch:
                _pattern ??= new Regex(Value, RegexOptions.CultureInvariant | (Operator == FilterOperator.Imatch ? RegexOptions.IgnoreCase : RegexOptions.None), TimeSpan.FromMilliseconds(100));
                try
                {
                    matched = _pattern.IsMatch(columnText);
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }

                break;
            case FilterOperator.In:
                matched = Values.Any(v => Compare(columnText, v, typeName) == 0);
                break;
            default:
                var cmp = Compare(columnText, Value, typeName);
                if (cmp is null)
                {
                    return false;
                }

                matched = Operator switch
                {
                    FilterOperator.Eq => cmp == 0,
                    FilterOperator.Neq => cmp != 0,
                    FilterOperator.Lt => cmp < 0,
                    FilterOperator.Lte => cmp <= 0,
                    FilterOperator.Gt => cmp > 0,
                    _ => cmp >= 0,
                };
                break;
        }

        return Negated ? !matched : matched;
    }

    private static int? Compare(string columnText, string filterText, string typeName) =>
        TypedValue.TryParse(typeName, columnText, out var a) && TypedValue.TryParse(typeName, filterText, out var b)
            ? a.CompareTo(b)
            : null;

    private string OperatorName => Operator == FilterOperator.IsDistinct ? "isdistinct" : Operator.ToString().ToLowerInvariant();

    /// <summary>SQL LIKE: <c>%</c> any run, <c>_</c> one character, backslash escapes the next character.</summary>
    private static Regex LikeToRegex(string pattern, bool ignoreCase)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                sb.Append(Regex.Escape(pattern[++i].ToString()));
                continue;
            }

            sb.Append(c switch
            {
                '%' => ".*",
                '_' => ".",
                _ => Regex.Escape(c.ToString()),
            });
        }

        sb.Append('$');
        var options = RegexOptions.Singleline | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        return new Regex(sb.ToString(), options, TimeSpan.FromMilliseconds(100));
    }

    private static string Unquote(string s)
    {
        s = s.Trim();
        return s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal) : s;
    }

    private static IEnumerable<string> SplitTopLevel(string s, char separator)
    {
        int depth = 0, start = 0;
        var quoted = false;
        for (var i = 0; i < s.Length; i++)
        {
            switch (s[i])
            {
                case '"':
                    quoted = !quoted;
                    break;
                case '(' when !quoted:
                    depth++;
                    break;
                case ')' when !quoted:
                    depth--;
                    break;
                default:
                    if (s[i] == separator && depth == 0 && !quoted)
                    {
                        yield return s[start..i];
                        start = i + 1;
                    }

                    break;
            }
        }

        yield return s[start..];
    }
}

/// <summary>A value parsed by its PostgreSQL type so that filters compare like the database would.</summary>
internal readonly record struct TypedValue(int Kind, decimal Number, double Real, DateTimeOffset Time, Guid Uuid, string? Text) : IComparable<TypedValue>
{
    private const int NumberKind = 1, RealKind = 2, TimeKind = 3, UuidKind = 4, TextKind = 5, BoolKind = 6;

    public static TypedValue True { get; } = new(BoolKind, 1, 0, default, default, null);

    public static TypedValue False { get; } = new(BoolKind, 0, 0, default, default, null);

    public static bool TryParse(string typeName, string text, out TypedValue value)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (typeName)
        {
            case "int2" or "int4" or "int8" or "numeric" or "oid" or "money":
                var ok = decimal.TryParse(text, NumberStyles.Float, inv, out var d);
                value = new TypedValue(NumberKind, d, 0, default, default, null);
                return ok;
            case "float4" or "float8":
                var okf = double.TryParse(text, NumberStyles.Float, inv, out var f);
                value = new TypedValue(RealKind, 0, f, default, default, null);
                return okf;
            case "bool":
                var b = text.ToLowerInvariant() switch
                {
                    "t" or "true" or "yes" or "on" or "1" or "y" => (bool?)true,
                    "f" or "false" or "no" or "off" or "0" or "n" => false,
                    _ => null,
                };
                value = b == true ? True : False;
                return b is not null;
            case "timestamptz" or "timestamp" or "date":
                var okt = DateTimeOffset.TryParse(text, inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var t);
                if (!okt)
                {
                    // PostgreSQL prints short offsets ("+00"); .NET wants "+00:00".
                    okt = DateTimeOffset.TryParse(text + ":00", inv, DateTimeStyles.AssumeUniversal, out t);
                }

                value = new TypedValue(TimeKind, 0, 0, t, default, null);
                return okt;
            case "uuid":
                var oku = Guid.TryParse(text, out var g);
                value = new TypedValue(UuidKind, 0, 0, default, g, null);
                return oku;
            default:
                value = new TypedValue(TextKind, 0, 0, default, default, text);
                return true;
        }
    }

    public int CompareTo(TypedValue other) => Kind switch
    {
        NumberKind or BoolKind => Number.CompareTo(other.Number),
        RealKind => Real.CompareTo(other.Real),
        TimeKind => Time.CompareTo(other.Time),
        UuidKind => string.CompareOrdinal(Uuid.ToString(), other.Uuid.ToString()),
        _ => string.CompareOrdinal(Text, other.Text),
    };
}
