using AutoCrm.DevStack.Realtime.Filters;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// An immutable snapshot of every active postgres_changes binding, indexed so that the change dispatcher's work per change
/// does not grow with bindings that cannot match it: per table, the bindings with a selective condition (<c>eq</c> or
/// <c>in</c>, values parsed when the channel joined) are filed under each value they accept, so a change reaches only those
/// whose value it carries (one look-up per indexed column); the others are scanned. Rebuilt by the hub when channels come
/// and go.
/// </summary>
internal sealed class BindingIndex
{
    private readonly Dictionary<(string Schema, string Table), TableBindings> _tables = [];
    private readonly Dictionary<string, PostgresBinding[]> _schemaWide = new(StringComparer.Ordinal);

    public static BindingIndex Empty { get; } = new([]);

    public BindingIndex(PostgresBinding[] all)
    {
        All = all;
        var tables = new Dictionary<(string, string), List<PostgresBinding>>();
        var schemaWide = new Dictionary<string, List<PostgresBinding>>(StringComparer.Ordinal);
        foreach (var binding in all)
        {
            if (binding.Table is null)
            {
                Add(schemaWide, binding.Schema, binding);
            }
            else
            {
                Add(tables, (binding.Schema, binding.Table), binding);
            }
        }

        foreach (var (key, list) in tables)
        {
            _tables[key] = new TableBindings(list);
        }

        foreach (var (schema, list) in schemaWide)
        {
            _schemaWide[schema] = [.. list];
        }
    }

    /// <summary>Every active binding.</summary>
    public PostgresBinding[] All { get; }

    public int Count => All.Length;

    /// <summary>
    /// The bindings a change may concern, in no particular order: for an INSERT or UPDATE those of its table whose selective
    /// condition accepts the new row (looked up) and those without one, for a DELETE all of its table's (a DELETE's filters
    /// are evaluated later, on what each subscriber may see); plus the schema-wide bindings.
    /// </summary>
    public IEnumerable<PostgresBinding> Candidates(RowChange change, ParsedRow row)
    {
        var relation = change.Relation;
        if (_tables.TryGetValue((relation.Schema, relation.Table), out var table))
        {
            if (change.Type == "DELETE")
            {
                foreach (var binding in table.All)
                {
                    yield return binding;
                }
            }
            else
            {
                foreach (var binding in table.Unindexed)
                {
                    yield return binding;
                }

                foreach (var (column, byValue) in table.Indexed)
                {
                    if (row.Value(column) is { } value && byValue.TryGetValue(value, out var bindings))
                    {
                        foreach (var binding in bindings)
                        {
                            yield return binding;
                        }
                    }
                }
            }
        }

        if (_schemaWide.TryGetValue(relation.Schema, out var wide))
        {
            foreach (var binding in wide)
            {
                yield return binding;
            }
        }
    }

    private static void Add<TKey>(Dictionary<TKey, List<PostgresBinding>> map, TKey key, PostgresBinding binding)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(binding);
    }

    /// <summary>One table's bindings: all of them, those filed by the values of their selective condition, and the rest.</summary>
    private sealed class TableBindings
    {
        public TableBindings(List<PostgresBinding> bindings)
        {
            All = [.. bindings];
            var unindexed = new List<PostgresBinding>();
            var indexed = new Dictionary<(string Column, string Type), Dictionary<TypedValue, List<PostgresBinding>>>();
            foreach (var binding in bindings)
            {
                if (binding.Selective is not { } selective || !selective.TryGetKeys(out var type, out var keys))
                {
                    unindexed.Add(binding);
                    continue;
                }

                if (!indexed.TryGetValue((selective.Column, type), out var byValue))
                {
                    indexed[(selective.Column, type)] = byValue = [];
                }

                foreach (var key in keys.Distinct())
                {
                    Add(byValue, key, binding);
                }
            }

            Unindexed = [.. unindexed];
            Indexed = [.. indexed.Select(p => ((p.Key.Column, p.Key.Type), p.Value.ToDictionary(v => v.Key, v => v.Value.ToArray())))];
        }

        public PostgresBinding[] All { get; }

        public PostgresBinding[] Unindexed { get; }

        public ((string Column, string Type) Column, Dictionary<TypedValue, PostgresBinding[]> ByValue)[] Indexed { get; }
    }
}

/// <summary>The new row of a change, each column parsed for its type at most once, however many bindings look at it.</summary>
internal sealed class ParsedRow(RowChange change)
{
    private TypedValue[]? _values;
    private byte[]? _state; // 0 = not parsed yet, 1 = parsed, 2 = absent, NULL or not parseable

    /// <summary>The value of <paramref name="column"/> parsed as its type; null when absent, NULL, or the type differs.</summary>
    public TypedValue? Value((string Name, string Type) column)
    {
        var relation = change.Relation;
        var index = relation.IndexOf(column.Name);
        if (index < 0 || change.New is null || index >= change.New.Length || relation.Columns[index].Type.Name != column.Type)
        {
            return null;
        }

        _values ??= new TypedValue[change.New.Length];
        _state ??= new byte[change.New.Length];
        if (_state[index] == 0)
        {
            var value = change.NewValue(index);
            _state[index] = value.Present && value.Text is { } text && TypedValue.TryParse(column.Type, text, out _values[index]) ? (byte)1 : (byte)2;
        }

        return _state[index] == 1 ? _values[index] : null;
    }

    /// <summary>Whether a selective condition (eq or in) accepts the new row.</summary>
    public bool Passes(FilterCondition condition)
    {
        var relation = change.Relation;
        var index = relation.IndexOf(condition.Column);
        if (index < 0)
        {
            return false;
        }

        var type = relation.Columns[index].Type.Name;
        return Value((condition.Column, type)) is { } value && condition.MatchesParsed(value, type);
    }
}
