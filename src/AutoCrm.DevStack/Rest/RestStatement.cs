namespace AutoCrm.DevStack.Rest;

internal enum ResultShape
{
    /// <summary>A JSON array of rows (reads, representation of writes, setof functions).</summary>
    Rows,

    /// <summary>One JSON value (scalar function or single composite).</summary>
    Value,

    /// <summary>No body (void function).</summary>
    None,

    /// <summary>A write with no RETURNING: only the affected-row count.</summary>
    Affected,
}

/// <summary>The main statement of a request plus how to read its result.</summary>
internal sealed record RestStatement(string Sql, SqlParameters Parameters, ResultShape Shape, bool ReadOnly)
{
    /// <summary>EXPLAIN statement for planned/estimated counts (same parameters), or null.</summary>
    public string? ExplainSql { get; init; }

    /// <summary>Primary-key columns of the inserted relation, for the Location header.</summary>
    public IReadOnlyList<string>? LocationKeys { get; init; }
}
