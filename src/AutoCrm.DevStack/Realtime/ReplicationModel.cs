namespace AutoCrm.DevStack.Realtime;

/// <summary>A column of a published relation, as announced by pgoutput.</summary>
internal sealed record RelationColumn(string Name, PgTypeInfo Type, bool IsReplicaKey);

/// <summary>A published relation with its primary key (pgoutput only knows the replica identity).</summary>
internal sealed class RelationInfo(uint oid, string schema, string table, RelationColumn[] columns, int[] primaryKey)
{
    private readonly Dictionary<string, int> _index = columns
        .Select((c, i) => (c.Name, i))
        .ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);

    public uint Oid { get; } = oid;

    public string Schema { get; } = schema;

    public string Table { get; } = table;

    public RelationColumn[] Columns { get; } = columns;

    /// <summary>Column indexes of the primary key (empty when the table has none).</summary>
    public int[] PrimaryKey { get; } = primaryKey;

    public int IndexOf(string column) => _index.TryGetValue(column, out var i) ? i : -1;
}

/// <summary>A column value from the WAL: text (null = SQL NULL), or not present (unchanged TOAST, not in the key).</summary>
internal readonly record struct RowValue(string? Text, bool Present);

/// <summary>One INSERT/UPDATE/DELETE of a committed transaction.</summary>
internal sealed record RowChange(RelationInfo Relation, string Type, RowValue[]? New, RowValue[]? Old, DateTime CommitTimestamp)
{
    /// <summary>The row filters look at: the new row, or the old identity for DELETE.</summary>
    public RowValue[] FilterRow => (Type == "DELETE" ? Old : New) ?? [];

    /// <summary>The committing transaction's id (32 bits, as pgoutput sends it).</summary>
    public uint Xid { get; init; }

    /// <summary>The new row's value of a column, falling back to the old row for unchanged TOAST values.</summary>
    public RowValue NewValue(int index)
    {
        var value = New![index];
        return value.Present || Old is null ? value : Old[index];
    }
}
