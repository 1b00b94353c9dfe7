namespace AutoCrm.DevStack.Rest;

internal sealed record DbColumn(string Name, string Type, string? Default, bool Nullable, char Category, string TypeName);

internal sealed class DbRelation(string schema, string name, char kind, IReadOnlyList<DbColumn> columns)
{
    private readonly Dictionary<string, DbColumn> byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public string Schema { get; } = schema;

    public string Name { get; } = name;

    /// <summary>pg_class.relkind ('r' table, 'v' view, 'm', 'f', 'p', 'c' composite type) or 'o' for OUT/TABLE parameters.</summary>
    public char Kind { get; } = kind;

    public IReadOnlyList<DbColumn> Columns { get; } = columns;

    public IReadOnlyList<string> PrimaryKey { get; set; } = [];

    public List<IReadOnlyList<string>> UniqueKeys { get; } = [];

    /// <summary>Relationships usable for embedding, from this relation's point of view.</summary>
    public List<DbRelationship> Relationships { get; } = [];

    /// <summary>Functions of one row of this relation, by name: computed fields (<c>select=f</c> calls <c>f(row)</c>).</summary>
    public Dictionary<string, DbFunction> ComputedFields { get; } = new(StringComparer.Ordinal);

    public string QualifiedName => $"{Schema}.{Name}";

    public DbColumn? Column(string columnName) => byName.GetValueOrDefault(columnName);
}

/// <summary>A foreign key seen from <see cref="Source"/>: embedding <see cref="Target"/> joins Source.cols = Target.cols.</summary>
internal sealed record DbRelationship(
    DbRelation Source,
    DbRelation Target,
    string ConstraintName,
    IReadOnlyList<string> SourceColumns,
    IReadOnlyList<string> TargetColumns,
    bool ToOne,
    bool SourceOwnsKey)
{
    /// <summary>For a many-to-many relationship: the junction table between Source and Target; else null.</summary>
    public DbJunction? Junction { get; init; }

    public bool IsManyToMany => Junction is not null;

    /// <summary>For a computed relationship: the function of a Source row that returns the Target rows; else null.</summary>
    public DbFunction? Function { get; init; }

    public bool IsComputed => Function is not null;

    /// <summary>A foreign key from a relation to itself (parent/children).</summary>
    public bool IsSelf => Function is null && Junction is null && ReferenceEquals(Source, Target);
}

/// <summary>
/// A junction table: foreign keys to both sides whose columns are all part of its primary key (PostgREST's rule).
/// <see cref="SourceKey"/> joins Junction.SourceColumns = Source.TargetColumns; <see cref="TargetKey"/> likewise.
/// </summary>
internal sealed record DbJunction(DbRelation Table, DbRelationship SourceKey, DbRelationship TargetKey);

internal sealed record DbParameter(string Name, string Type, bool HasDefault, bool Variadic)
{
    public bool Required => !HasDefault;
}

internal enum DbReturnKind { Scalar, Composite, Void }

internal sealed record DbFunction(
    string Schema,
    string Name,
    IReadOnlyList<DbParameter> Parameters,
    bool ReturnsSet,
    string ReturnType,
    DbReturnKind ReturnKind,
    DbRelation? ReturnRelation,
    char Volatility)
{
    public bool IsSingleUnnamedJson =>
        Parameters.Count == 1 && Parameters[0].Name.Length == 0 && Parameters[0].Type is "json" or "jsonb";

    /// <summary>The function takes its one parameter by position (it has no name): <c>f($body::type)</c>.</summary>
    public bool TakesOnePositional => Parameters.Count == 1 && Parameters[0].Name.Length == 0;

    /// <summary>
    /// Whether PostgREST serves it as RPC: every input parameter named, or exactly one unnamed one of type bytea,
    /// json, jsonb, text or xml (the raw body). Others, such as a function of a table's row type, are only
    /// computed fields or computed relationships.
    /// </summary>
    public bool Callable => Parameters.Count(p => p.Name.Length == 0) switch
    {
        0 => true,
        1 => Parameters.First(p => p.Name.Length == 0).Type is "bytea" or "json" or "jsonb" or "text" or "xml",
        _ => false,
    };

    public string QualifiedName => $"{Schema}.{Name}";
}

/// <summary>An immutable snapshot of the catalog; swapped as a whole on reload.</summary>
internal sealed class SchemaSnapshot(
    IReadOnlyDictionary<(string Schema, string Name), DbRelation> relations,
    IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<DbFunction>> functions,
    IReadOnlySet<string> roles,
    IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> roleSettings,
    long loadedAtTimestamp,
    IReadOnlySet<string>? timeZones = null,
    InDatabaseConfig? config = null)
{
    public IReadOnlyDictionary<(string Schema, string Name), DbRelation> Relations { get; } = relations;

    public IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<DbFunction>> Functions { get; } = functions;

    public IReadOnlySet<string> Roles { get; } = roles;

    public IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> RoleSettings { get; } = roleSettings;

    public long LoadedAtTimestamp { get; } = loadedAtTimestamp;

    /// <summary>The <c>pgrst.*</c> settings of the <c>authenticator</c> role (PostgREST's in-database configuration).</summary>
    public InDatabaseConfig Config { get; } = config ?? InDatabaseConfig.Default;

    /// <summary>
    /// PostgREST's <c>db-plan-enabled</c> from the in-database configuration (<c>ALTER ROLE authenticator SET
    /// pgrst.db_plan_enabled = true</c>); off by default, as in the Supabase CLI's local stack.
    /// </summary>
    public bool PlanEnabled => Config.PlanEnabled;

    /// <summary>
    /// PostgREST's <c>db-aggregates-enabled</c> (<c>ALTER ROLE authenticator SET pgrst.db_aggregates_enabled = true</c>);
    /// off by default, as on Supabase. It gates aggregate functions and spreading to-many embeds.
    /// </summary>
    public bool AggregatesEnabled => Config.AggregatesEnabled;

    /// <summary>The names of <c>pg_timezone_names</c>: the values <c>Prefer: timezone=</c> accepts.</summary>
    public IReadOnlySet<string> TimeZones { get; } = timeZones ?? new HashSet<string>();

    public DbRelation? Relation(string schema, string name) => Relations.GetValueOrDefault((schema, name));
}

/// <summary>
/// PostgREST's order of overloads: fewer parameters first, then by the parameters (name, type, required, variadic),
/// which decides the order candidates are listed in a PGRST203 message.
/// </summary>
internal sealed class FunctionOverloadOrder : IComparer<DbFunction>
{
    public static FunctionOverloadOrder Instance { get; } = new();

    public int Compare(DbFunction? x, DbFunction? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        var byCount = x.Parameters.Count.CompareTo(y.Parameters.Count);
        if (byCount != 0)
        {
            return byCount;
        }

        for (var i = 0; i < x.Parameters.Count; i++)
        {
            var (a, b) = (x.Parameters[i], y.Parameters[i]);
            var c = string.CompareOrdinal(a.Name, b.Name);
            c = c != 0 ? c : string.CompareOrdinal(a.Type, b.Type);
            c = c != 0 ? c : a.Required.CompareTo(b.Required);
            c = c != 0 ? c : a.Variadic.CompareTo(b.Variadic);
            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }
}
