namespace AutoCrm.DevStack.Rest;

/// <summary>One step of a JSON path: <c>-&gt;key</c> (json) or <c>-&gt;&gt;key</c> (text).</summary>
internal sealed record JsonPathStep(string Key, bool AsText);

/// <summary>A column reference, optionally followed by a JSON path (<c>data-&gt;a-&gt;&gt;b</c>).</summary>
internal sealed record FieldRef(string Name, IReadOnlyList<JsonPathStep> Path)
{
    public static FieldRef Column(string name) => new(name, []);

    /// <summary>The output name PostgREST gives the field: the last JSON key, else the column name.</summary>
    public string OutputName => Path.Count == 0 ? Name : Path[^1].Key;
}

internal abstract record SelectItem;

internal sealed record StarItem : SelectItem;

internal sealed record ColumnItem(FieldRef Field, string? Alias, string? Cast) : SelectItem
{
    /// <summary>An aggregate applied to the field (<c>count</c>, <c>sum</c>, <c>avg</c>, <c>max</c>, <c>min</c>); <c>count()</c> has the field <c>*</c>.</summary>
    public string? Aggregate { get; init; }

    /// <summary>The cast applied to the aggregate's result (<c>id.sum()::text</c>).</summary>
    public string? AggregateCast { get; init; }

    /// <summary>The key in the response: the alias, else the aggregate's name, else the field's.</summary>
    public string OutputName => Alias ?? Aggregate ?? Field.OutputName;
}

internal enum EmbedJoin { Default, Left, Inner }

internal sealed record EmbedItem(string Relation, string? Alias, string? Hint, EmbedJoin Join, bool Spread, IReadOnlyList<SelectItem> Items) : SelectItem
{
    /// <summary>The name used for the embed in the response and in embed paths of query keys.</summary>
    public string Name => Alias ?? Relation;
}

internal enum Quantifier { None, Any, All }

internal abstract record Operation;

/// <summary>eq, neq, gt, gte, lt, lte, like, ilike, match, imatch, isdistinct, cs, cd, ov, sl, sr, nxr, nxl, adj.</summary>
internal sealed record SimpleOperation(string Operator, Quantifier Quantifier, string Value) : Operation;

internal sealed record InOperation(IReadOnlyList<string> Values) : Operation;

/// <summary>is.null / not_null / true / false / unknown.</summary>
internal sealed record IsOperation(string Value) : Operation;

internal sealed record FtsOperation(string Operator, string? Config, string Value) : Operation;

internal abstract record Condition;

internal sealed record FilterCondition(FieldRef Field, bool Negated, Operation Operation) : Condition;

internal sealed record LogicCondition(bool IsOr, bool Negated, IReadOnlyList<Condition> Children) : Condition;

internal sealed record OrderTerm(FieldRef Field, string? Relation, bool Descending, bool? NullsFirst);

/// <summary>Filters, order and paging that apply to one node of the embed tree ("" = the root).</summary>
internal sealed class NodeModifiers
{
    public List<Condition> Conditions { get; } = [];
    public IReadOnlyList<OrderTerm>? Order { get; set; }
    public long? Limit { get; set; }
    public long? Offset { get; set; }
}
