namespace AutoCrm.DevStack.Realtime.Filters;

/// <summary>A filter operator of the postgres_changes <c>filter</c> string.</summary>
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

/// <summary>The outcome of evaluating a condition within a work budget.</summary>
internal enum FilterResult
{
    Fail,
    Pass,

    /// <summary>The work budget ran out before the answer was known.</summary>
    OutOfBudget,
}

/// <summary>
/// One condition <c>column=[not.]op.value</c>; a binding's filter is the AND of its conditions. The operators are
/// Supabase Realtime's: eq, neq, lt, lte, gt, gte, in (at most 100 values), like, ilike, is, match (<c>~</c>), imatch
/// (<c>~*</c>) and isdistinct, each negatable with <c>not.</c>. Values compare as the column's type; like/ilike patterns
/// are SQL LIKE patterns (<c>%</c>, <c>_</c>, backslash escapes; unlike PostgREST, <c>*</c> is a literal star, as in
/// Realtime's check_equality_op). Patterns run on a <see cref="LinearPattern"/> automaton, so their cost is bounded by
/// (text length + 1) × (pattern size) and counted against the caller's budget.
/// </summary>
internal sealed class FilterCondition
{
    /// <summary>Realtime refuses an <c>in</c> list longer than this.</summary>
    public const int MaxInValues = 100;

    /// <summary>The largest pattern (automaton states) accepted when no limit is given.</summary>
    public const int DefaultMaxPatternStates = 1000;

    private static readonly HashSet<string> TextTypes = new(StringComparer.Ordinal) { "text", "varchar", "bpchar", "name", "citext" };

    private Prepared? _prepared;

    private FilterCondition(string column, FilterOperator op, bool negated, string value, IReadOnlyList<string> values)
    {
        Column = column;
        Operator = op;
        Negated = negated;
        Value = value;
        Values = values;
    }

    public string Column { get; }

    public FilterOperator Operator { get; }

    public bool Negated { get; }

    public string Value { get; }

    /// <summary>The values of an <c>in</c> list (empty otherwise).</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>like, ilike, match or imatch: evaluated by an automaton whose work depends on the text.</summary>
    public bool IsPattern => Operator is FilterOperator.Like or FilterOperator.Ilike or FilterOperator.Match or FilterOperator.Imatch;

    /// <summary>A positive eq or in: selective, constant work per row (the change dispatcher checks it before row-level security).</summary>
    public bool IsSelective => !Negated && Operator is FilterOperator.Eq or FilterOperator.In;

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

    /// <summary>
    /// Checks that the condition applies to a column of <paramref name="typeName"/> (as Realtime's subscription check does) and
    /// prepares it for that type: values parsed once, the pattern compiled. Null when valid, otherwise the error.
    /// </summary>
    public string? ValidateFor(string typeName, int maxPatternStates = DefaultMaxPatternStates)
    {
        switch (Operator)
        {
            case FilterOperator.Is:
                // IS NULL works on any type; IS TRUE/FALSE/UNKNOWN need a boolean operand.
                if (Value != "null" && typeName != "bool")
                {
                    return $"is {Value} filter requires a boolean column, got {typeName}";
                }

                break;
            case FilterOperator.Like or FilterOperator.Ilike or FilterOperator.Match or FilterOperator.Imatch:
                if (!TextTypes.Contains(typeName))
                {
                    return $"operator {OperatorName} requires a text-compatible column type, got {typeName}";
                }

                break;
            default:
                foreach (var v in Operator == FilterOperator.In ? Values : [Value])
                {
                    if (!TypedValue.TryParse(typeName, v, out _))
                    {
                        return $"invalid input syntax for type {typeName}: \"{v}\"";
                    }
                }

                break;
        }

        try
        {
            _prepared = Prepare(typeName, maxPatternStates);
            return null;
        }
        catch (FormatException ex)
        {
            return $"invalid regular expression for {OperatorName} filter: {ex.Message}";
        }
    }

    /// <summary>Evaluates the condition on a column's text value (null = SQL NULL) of the given type, without a budget.</summary>
    public bool Matches(string? columnText, string typeName)
    {
        long budget = long.MaxValue;
        return Evaluate(columnText, typeName, ref budget) == FilterResult.Pass;
    }

    /// <summary>
    /// The values a selective condition (<see cref="IsSelective"/>) accepts, parsed for the column type it was validated for:
    /// the keys under which the dispatcher's index files its binding. False when the condition was not validated.
    /// </summary>
    public bool TryGetKeys(out string typeName, out TypedValue[] keys)
    {
        var prepared = Volatile.Read(ref _prepared);
        if (!IsSelective || prepared is null)
        {
            (typeName, keys) = ("", []);
            return false;
        }

        typeName = prepared.TypeName;
        keys = Operator == FilterOperator.Eq ? [prepared.Value] : prepared.Values;
        return true;
    }

    /// <summary>
    /// The dispatcher's selective check (<see cref="IsSelective"/>: a positive eq or in) on a column value already parsed
    /// for <paramref name="typeName"/>: no parsing, no allocation.
    /// </summary>
    public bool MatchesParsed(in TypedValue column, string typeName)
    {
        if (PreparedFor(typeName) is not { } prepared)
        {
            return false;
        }

        if (Operator == FilterOperator.Eq)
        {
            return column.CompareTo(prepared.Value) == 0;
        }

        foreach (var value in prepared.Values)
        {
            if (column.CompareTo(value) == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Evaluates the condition, taking its work from <paramref name="budget"/>: one unit for a comparison (plus one per 64
    /// characters of text compared), one per automaton step for a pattern.
    /// </summary>
    public FilterResult Evaluate(string? columnText, string typeName, ref long budget)
    {
        var prepared = PreparedFor(typeName);
        if (prepared is null)
        {
            // Values that do not parse as the column's type (a wildcard binding's filter on another table) never match.
            return FilterResult.Fail;
        }

        budget -= 1 + ((columnText?.Length ?? 0) >> 6);
        if (budget < 0)
        {
            return FilterResult.OutOfBudget;
        }

        if (Operator == FilterOperator.Is)
        {
            var result = Value switch
            {
                "null" => columnText is null,
                "true" => columnText is not null && TypedValue.TryParse("bool", columnText, out var t) && t.Equals(TypedValue.True),
                "false" => columnText is not null && TypedValue.TryParse("bool", columnText, out var f) && f.Equals(TypedValue.False),
                _ => columnText is null,
            };
            return Outcome(Negated ? !result : result);
        }

        if (Operator == FilterOperator.IsDistinct)
        {
            // The filter value is never NULL, so a NULL column is distinct from it.
            var distinct = columnText is null || Compare(columnText, prepared.Value, typeName) is not 0;
            return Outcome(Negated ? !distinct : distinct);
        }

        // A NULL column value never passes a comparison (SQL three-valued logic), negated or not.
        if (columnText is null)
        {
            return FilterResult.Fail;
        }

        bool matched;
        if (prepared.Pattern is { } pattern)
        {
            var outcome = pattern.Match(columnText, ref budget);
            if (outcome == PatternResult.OutOfBudget)
            {
                return FilterResult.OutOfBudget;
            }

            matched = outcome == PatternResult.Matched;
        }
        else if (!TypedValue.TryParse(typeName, columnText, out var column))
        {
            return FilterResult.Fail;
        }
        else if (Operator == FilterOperator.In)
        {
            budget -= prepared.Values.Length;
            matched = false;
            foreach (var value in prepared.Values)
            {
                if (column.CompareTo(value) == 0)
                {
                    matched = true;
                    break;
                }
            }
        }
        else
        {
            var cmp = column.CompareTo(prepared.Value);
            matched = Operator switch
            {
                FilterOperator.Eq => cmp == 0,
                FilterOperator.Neq => cmp != 0,
                FilterOperator.Lt => cmp < 0,
                FilterOperator.Lte => cmp <= 0,
                FilterOperator.Gt => cmp > 0,
                _ => cmp >= 0,
            };
        }

        return Outcome(Negated ? !matched : matched);
    }

    private static FilterResult Outcome(bool pass) => pass ? FilterResult.Pass : FilterResult.Fail;

    private Prepared? PreparedFor(string typeName)
    {
        var prepared = Volatile.Read(ref _prepared);
        if (prepared is not null && prepared.TypeName == typeName)
        {
            return prepared;
        }

        try
        {
            prepared = Prepare(typeName, DefaultMaxPatternStates);
        }
        catch (FormatException)
        {
            return null;
        }

        Volatile.Write(ref _prepared, prepared);
        return prepared;
    }

    private Prepared Prepare(string typeName, int maxPatternStates)
    {
        var pattern = Operator switch
        {
            FilterOperator.Like or FilterOperator.Ilike => LinearPattern.FromLike(Value, Operator == FilterOperator.Ilike, maxPatternStates),
            FilterOperator.Match or FilterOperator.Imatch => LinearPattern.FromRegex(Value, Operator == FilterOperator.Imatch, maxPatternStates),
            _ => null,
        };
        var value = default(TypedValue);
        if (Operator is not (FilterOperator.Is or FilterOperator.In) && pattern is null && !TypedValue.TryParse(typeName, Value, out value))
        {
            throw new FormatException($"invalid input syntax for type {typeName}: \"{Value}\"");
        }

        var values = new List<TypedValue>(Values.Count);
        foreach (var v in Values)
        {
            if (!TypedValue.TryParse(typeName, v, out var typed))
            {
                throw new FormatException($"invalid input syntax for type {typeName}: \"{v}\"");
            }

            values.Add(typed);
        }

        return new Prepared(typeName, value, [.. values], pattern);
    }

    private static int? Compare(string columnText, TypedValue filterValue, string typeName) =>
        TypedValue.TryParse(typeName, columnText, out var a) ? a.CompareTo(filterValue) : null;

    private string OperatorName => Operator == FilterOperator.IsDistinct ? "isdistinct" : Operator.ToString().ToLowerInvariant();

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

    /// <summary>The condition's values parsed for one column type, and its compiled pattern.</summary>
    private sealed record Prepared(string TypeName, TypedValue Value, TypedValue[] Values, LinearPattern? Pattern);
}
