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
}

/// <summary>
/// A junction table: foreign keys to both sides whose columns are all part of its primary key (PostgREST's rule).
/// <see cref="SourceKey"/> joins Junction.SourceColumns = Source.TargetColumns; <see cref="TargetKey"/> likewise.
/// </summary>
internal sealed record DbJunction(DbRelation Table, DbRelationship SourceKey, DbRelationship TargetKey);

internal sealed record DbParameter(string Name, string Type, bool HasDefault, bool Variadic);

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

    public string QualifiedName => $"{Schema}.{Name}";
}

/// <summary>An immutable snapshot of the catalog; swapped as a whole on reload.</summary>
internal sealed class SchemaSnapshot(
    IReadOnlyDictionary<(string Schema, string Name), DbRelation> relations,
    IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<DbFunction>> functions,
    IReadOnlySet<string> roles,
    IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> roleSettings,
    long loadedAtTimestamp,
    bool planEnabled = false,
    IReadOnlySet<string>? timeZones = null,
    bool aggregatesEnabled = false)
{
    public IReadOnlyDictionary<(string Schema, string Name), DbRelation> Relations { get; } = relations;

    public IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<DbFunction>> Functions { get; } = functions;

    public IReadOnlySet<string> Roles { get; } = roles;

    public IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> RoleSettings { get; } = roleSettings;

    public long LoadedAtTimestamp { get; } = loadedAtTimestamp;

    /// <summary>
    /// PostgREST's <c>db-plan-enabled</c> from the in-database configuration (<c>ALTER ROLE authenticator SET
    /// pgrst.db_plan_enabled = true</c>); off by default, as in the Supabase CLI's local stack.
    /// </summary>
    public bool PlanEnabled { get; } = planEnabled;

    /// <summary>
    /// PostgREST's <c>db-aggregates-enabled</c> (<c>ALTER ROLE authenticator SET pgrst.db_aggregates_enabled = true</c>);
    /// off by default, as on Supabase. It gates spreading to-many embeds (<c>...rel(col)</c> → arrays).
    /// </summary>
    public bool AggregatesEnabled { get; } = aggregatesEnabled;

    /// <summary>The names of <c>pg_timezone_names</c>: the values <c>Prefer: timezone=</c> accepts.</summary>
    public IReadOnlySet<string> TimeZones { get; } = timeZones ?? new HashSet<string>();

    public DbRelation? Relation(string schema, string name) => Relations.GetValueOrDefault((schema, name));
}
