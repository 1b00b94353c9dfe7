using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Rest;

/// <summary>The pieces of one SELECT over a relation, with embedded resources as LATERAL joins.</summary>
internal sealed record ReadParts(string SelectList, string Joins, string InnerJoins, string Where, string GroupBy, string OrderBy, string Paging);

/// <summary>
/// Builds SQL for reads (and for the representation of writes) from the AST. Identifiers come only
/// from the schema cache and are quoted; every user value is a parameter.
/// </summary>
internal sealed class ReadQueryBuilder(SchemaSnapshot schema, IReadOnlyDictionary<string, NodeModifiers> modifiers, SqlParameters parameters)
{
    private static readonly Dictionary<string, string> Operators = new(StringComparer.Ordinal)
    {
        ["eq"] = "=", ["neq"] = "<>", ["gt"] = ">", ["gte"] = ">=", ["lt"] = "<", ["lte"] = "<=",
        ["like"] = "LIKE", ["ilike"] = "ILIKE", ["match"] = "~", ["imatch"] = "~*",
        ["isdistinct"] = "IS DISTINCT FROM", ["cs"] = "@>", ["cd"] = "<@", ["ov"] = "&&",
        ["sl"] = "<<", ["sr"] = ">>", ["nxr"] = "&<", ["nxl"] = "&>", ["adj"] = "-|-",
    };

    private readonly HashSet<string> usedPaths = [""];

    /// <summary>The name each table alias has in error messages (the relation's, name_depth when embedded).</summary>
    private readonly Dictionary<string, string> labels = new(StringComparer.Ordinal);
    private int aliasCounter;
    private bool insideToManySpread;

    public SqlParameters Parameters => parameters;

    public SchemaSnapshot Schema => schema;

    /// <summary>Checks that every embed path named in the query string is embedded in select (PGRST108).</summary>
    public void CheckModifierPaths()
    {
        foreach (var path in modifiers.Keys)
        {
            if (!usedPaths.Contains(path))
            {
                var name = path[(path.LastIndexOf('.') + 1)..];
                throw new RestException(400, "PGRST108", $"'{name}' is not an embedded resource in this request", null,
                    $"Verify that '{name}' is included in the select query parameter.");
            }
        }
    }

    public NodeModifiers? ModifiersFor(string path) => modifiers.GetValueOrDefault(path);

    /// <summary>Builds the select list and joins for <paramref name="relation"/> aliased <paramref name="alias"/>.</summary>
    public ReadParts Build(DbRelation relation, string alias, IReadOnlyList<SelectItem> items, string path, bool applyModifiers, long? maxRows)
    {
        var select = new StringBuilder();
        var joins = new StringBuilder();
        var innerJoins = new StringBuilder();
        var where = new List<string>();
        labels.TryAdd(alias, relation.Name);

        // With an aggregate in the list, every other selected value groups the rows (PostgREST's GROUP BY).
        var aggregated = items.Any(i => i is ColumnItem { Aggregate: not null });
        if (aggregated && !schema.AggregatesEnabled)
        {
            throw new RestException(400, "PGRST123", "Use of aggregate functions is not allowed");
        }

        var groupBy = aggregated ? new List<string>() : null;
        foreach (var item in items)
        {
            switch (item)
            {
                case StarItem:
                    foreach (var column in relation.Columns)
                    {
                        var columnSql = $"{alias}.{SqlParameters.Ident(column.Name)}";
                        Append(select, columnSql);
                        groupBy?.Add(columnSql);
                    }

                    break;
                case ColumnItem { Aggregate: { } aggregate } column:
                    var argument = column.Field is { Name: "*", Path.Count: 0 } ? "*" : FieldSql(relation, alias, column.Field);
                    if (column.Cast is not null && argument != "*")
                    {
                        argument = CastType.Apply(argument, column.Cast);
                    }

                    var aggregateSql = $"{aggregate.ToUpperInvariant()}({argument})";
                    Append(select, $"{(column.AggregateCast is null ? aggregateSql : CastType.Apply(aggregateSql, column.AggregateCast))} AS {SqlParameters.Ident(column.OutputName)}");
                    break;
                case ColumnItem column:
                    var field = FieldSql(relation, alias, column.Field);
                    var value = column.Cast is null ? field : CastType.Apply(field, column.Cast);
                    Append(select, $"{value} AS {SqlParameters.Ident(column.OutputName)}");
                    groupBy?.Add(value);
                    break;
                case EmbedItem embed:
                    CheckDuplicateEmbed(relation, items, embed);
                    BuildEmbed(relation, alias, embed, path, select, joins, innerJoins, where, groupBy);
                    break;
            }
        }

        // select= with only empty embeds leaves the list empty: SELECT FROM t gives one empty object per row.

        var mods = applyModifiers ? modifiers.GetValueOrDefault(path) : null;
        if (mods is not null)
        {
            foreach (var condition in mods.Conditions)
            {
                where.Add(ConditionSql(relation, alias, condition));
            }
        }

        var order = mods?.Order is { Count: > 0 } terms ? OrderSql(relation, alias, items, terms) : "";
        var paging = new StringBuilder();
        var limit = mods?.Limit;
        if (maxRows is { } max && (limit is null || limit > max))
        {
            limit = max;
        }

        if (limit is { } l)
        {
            paging.Append(" LIMIT ").Append(parameters.BigInt(l));
        }

        if (mods?.Offset is { } offset and > 0)
        {
            paging.Append(" OFFSET ").Append(parameters.BigInt(offset));
        }

        return new ReadParts(select.ToString(), joins.ToString(), innerJoins.ToString(),
            where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where),
            groupBy is { Count: > 0 } ? " GROUP BY " + string.Join(", ", groupBy) : "", order, paging.ToString());
    }

    private static void Append(StringBuilder sb, string part)
    {
        if (sb.Length > 0)
        {
            sb.Append(", ");
        }

        sb.Append(part);
    }

    private void BuildEmbed(DbRelation parent, string parentAlias, EmbedItem embed, string path, StringBuilder select, StringBuilder joins, StringBuilder innerJoins, List<string> where, List<string>? groupBy)
    {
        var relationship = ResolveRelationship(parent, embed);
        var spreadToMany = embed.Spread && !relationship.ToOne;
        if (spreadToMany && !schema.AggregatesEnabled)
        {
            // PostgREST 13 aggregates a to-many spread into arrays, which db-aggregates-enabled gates.
            throw new RestException(400, "PGRST123", "Use of aggregate functions is not allowed");
        }

        var childPath = path.Length == 0 ? embed.Name : path + "." + embed.Name;
        usedPaths.Add(childPath);
        var target = relationship.Target;
        var n = ++aliasCounter;
        var childAlias = "t" + n.ToString(CultureInfo.InvariantCulture);
        var lateral = "e" + n.ToString(CultureInfo.InvariantCulture);

        // Inside a to-many spread, nested spreads (to-one or to-many) join row by row so that the outer spread
        // aggregates one flat array per column; a non-spread embed starts its own aggregation.
        var outerUnnest = insideToManySpread;
        insideToManySpread = embed.Spread && (outerUnnest || spreadToMany);
        // Errors name an embedded table as PostgREST aliases it: name_depth.
        labels[childAlias] = $"{target.Name}_{childPath.Count(ch => ch == '.') + 1}";
        ReadParts child;
        try
        {
            child = Build(target, childAlias, embed.Items, childPath, applyModifiers: true, maxRows: null);
        }
        finally
        {
            insideToManySpread = outerUnnest;
        }

        var joinConditions = new List<string>();
        var junctionJoin = "";
        if (relationship.Junction is { } junction)
        {
            // parent ← junction.SourceKey … junction.TargetKey → child
            var junctionAlias = "j" + n.ToString(CultureInfo.InvariantCulture);
            var toTarget = junction.TargetKey;
            var toSource = junction.SourceKey;
            junctionJoin = $" JOIN {SqlParameters.Qualified(junction.Table.Schema, junction.Table.Name)} {junctionAlias} ON "
                + string.Join(" AND ", toTarget.SourceColumns.Select((c, i) =>
                    $"{junctionAlias}.{SqlParameters.Ident(c)} = {childAlias}.{SqlParameters.Ident(toTarget.TargetColumns[i])}"));
            for (var i = 0; i < toSource.SourceColumns.Count; i++)
            {
                joinConditions.Add($"{junctionAlias}.{SqlParameters.Ident(toSource.SourceColumns[i])} = {parentAlias}.{SqlParameters.Ident(toSource.TargetColumns[i])}");
            }
        }
        else
        {
            for (var i = 0; i < relationship.SourceColumns.Count; i++)
            {
                joinConditions.Add($"{childAlias}.{SqlParameters.Ident(relationship.TargetColumns[i])} = {parentAlias}.{SqlParameters.Ident(relationship.SourceColumns[i])}");
            }
        }

        var childWhere = joinConditions.Count == 0 ? child.Where
            : child.Where.Length == 0 ? " WHERE " + string.Join(" AND ", joinConditions)
            : child.Where + " AND " + string.Join(" AND ", joinConditions);
        // A computed relationship reads the function's rows for the parent row; a foreign key reads the table.
        var childSource = relationship.Function is { } function
            ? $"{SqlParameters.Qualified(function.Schema, function.Name)}({parentAlias}::{SqlParameters.Qualified(parent.Schema, parent.Name)})"
            : SqlParameters.Qualified(target.Schema, target.Name);
        var childQuery = $"SELECT {child.SelectList} FROM {childSource} {childAlias}{junctionJoin}{child.Joins}{childWhere}{child.GroupBy}{child.OrderBy}{child.Paging}";

        string join;
        if (embed.Spread)
        {
            if (embed.Join == EmbedJoin.Inner)
            {
                throw new RestException(400, "PGRST100", "\"!inner\" is not supported on a spread embed");
            }

            if (!spreadToMany || outerUnnest)
            {
                join = $" LEFT JOIN LATERAL ({childQuery}) {lateral} ON TRUE";
                Append(select, $"{lateral}.*");
                if (groupBy is not null)
                {
                    var spreadNames = new List<string>();
                    OutputNames(target, embed.Items, spreadNames);
                    groupBy.AddRange(spreadNames.Select(name => $"{lateral}.{SqlParameters.Ident(name)}"));
                }

                joins.Append(join);
                return;
            }

            // Every spread column becomes a JSON array of its values, in the child's order ([] without children).
            var names = new List<string>();
            OutputNames(target, embed.Items, names);
            if (names.Count == 0)
            {
                return;
            }

            var aggregates = new StringBuilder();
            foreach (var name in names)
            {
                var ident = SqlParameters.Ident(name);
                Append(aggregates, $"coalesce(json_agg({lateral}_r.{ident}), '[]') AS {ident}");
            }

            join = $" LEFT JOIN LATERAL (SELECT {aggregates} FROM ({childQuery}) {lateral}_r) {lateral} ON TRUE";
            Append(select, $"{lateral}.*");
            joins.Append(join);
            return;
        }

        // An empty embed (rel()) only joins, typically to filter with !inner: it adds no key to the row.
        var shown = embed.Items.Count > 0;
        if (relationship.ToOne || outerUnnest)
        {
            // Inside a to-many spread even a to-many embed is one object per row: the spread aggregates them.
            join = $" LEFT JOIN LATERAL (SELECT row_to_json({lateral}_r) AS body FROM ({childQuery}) {lateral}_r) {lateral} ON TRUE";
            if (shown)
            {
                // Grouped rows group by the embedded object too, which needs jsonb (json has no equality).
                var body = groupBy is null ? $"{lateral}.body" : $"{lateral}.body::jsonb";
                Append(select, $"{body} AS {SqlParameters.Ident(embed.Name)}");
                groupBy?.Add(body);
            }
        }
        else
        {
            join = $" LEFT JOIN LATERAL (SELECT json_agg({lateral}_r) AS body FROM ({childQuery}) {lateral}_r) {lateral} ON TRUE";
            if (shown)
            {
                var body = groupBy is null ? $"coalesce({lateral}.body, '[]')" : $"coalesce({lateral}.body::jsonb, '[]'::jsonb)";
                Append(select, $"{body} AS {SqlParameters.Ident(embed.Name)}");
                groupBy?.Add(body);
            }
        }

        joins.Append(join);
        if (embed.Join == EmbedJoin.Inner)
        {
            innerJoins.Append(join);
            where.Add($"{lateral}.body IS NOT NULL");
        }
    }

    /// <summary>The keys a select list gives each row object (spread embeds contribute their own keys).</summary>
    private void OutputNames(DbRelation relation, IReadOnlyList<SelectItem> items, List<string> names)
    {
        foreach (var item in items)
        {
            switch (item)
            {
                case StarItem:
                    foreach (var column in relation.Columns)
                    {
                        names.Add(column.Name);
                    }

                    break;
                case ColumnItem column:
                    names.Add(column.OutputName);
                    break;
                case EmbedItem { Spread: true } spread:
                    OutputNames(ResolveRelationship(relation, spread).Target, spread.Items, names);
                    break;
                case EmbedItem { Items.Count: > 0 } embed:
                    names.Add(embed.Name);
                    break;
            }
        }
    }

    public DbRelationship ResolveRelationship(DbRelation parent, EmbedItem embed)
    {
        // PostgREST's findRel.
        var target = embed.Relation;
        var hint = embed.Hint;
        var candidates = parent.Relationships.Where(r =>
        {
            if (r.Function is { } function)
            {
                // A computed relationship is named by its function.
                return function.Name == target;
            }

            if (r.IsSelf)
            {
                // One foreign key, two directions: the table name embeds the children (one-to-many), the key's
                // column the parent (many-to-one); a hint names the referenced column of the children.
                return hint is null
                    ? (r.Target.Name == target && !r.SourceOwnsKey) || (r.SourceOwnsKey && SingleColumn(r.SourceColumns, target))
                    : r.Target.Name == target && !r.SourceOwnsKey && SingleColumn(r.TargetColumns, hint);
            }

            if (hint is null)
            {
                // By the target's name, or (the target being a table) by the constraint's or the key column's name.
                return r.Target.Name == target
                    || (!r.IsManyToMany && r.Target.Kind != 'v' && (r.ConstraintName == target || SingleColumn(r.SourceColumns, target)));
            }

            return r.Target.Name == target
                && (r.IsManyToMany
                    ? r.Junction!.Table.Name == hint
                    : r.ConstraintName == hint || SingleColumn(r.SourceColumns, hint) || SingleColumn(r.TargetColumns, hint));
        }).ToList();

        if (candidates.Count == 1)
        {
            return candidates[0];
        }

        if (candidates.Count == 0)
        {
            throw new RestException(400, "PGRST200",
                $"Could not find a relationship between '{parent.Name}' and '{embed.Relation}' in the schema cache",
                $"Searched for a foreign key relationship between '{parent.Name}' and '{embed.Relation}'" +
                (embed.Hint is null ? "" : $" using the hint '{embed.Hint}'") +
                $" in the schema '{parent.Schema}', but no matches were found.",
                null);
        }

        var details = new JsonArray();
        foreach (var r in candidates)
        {
            // Keys in PostgREST's (sorted) order: cardinality, embedding, relationship.
            details.Add(new JsonObject
            {
                ["cardinality"] = r.IsManyToMany ? "many-to-many" : r.SourceOwnsKey ? "many-to-one" : r.ToOne ? "one-to-one" : "one-to-many",
                ["embedding"] = $"{parent.Name} with {r.Target.Name}",
                ["relationship"] = r.Junction is { } j
                    ? $"{j.Table.Name} using {j.SourceKey.ConstraintName}({string.Join(", ", j.SourceKey.SourceColumns)}) and {j.TargetKey.ConstraintName}({string.Join(", ", j.TargetKey.SourceColumns)})"
                    : $"{r.ConstraintName} using {parent.Name}({string.Join(", ", r.SourceColumns)}) and {r.Target.Name}({string.Join(", ", r.TargetColumns)})",
            });
        }

        throw new RestException(300, "PGRST201",
            $"Could not embed because more than one relationship was found for '{parent.Name}' and '{embed.Relation}'",
            null,
            $"Try changing '{embed.Relation}' to one of the following: {string.Join(", ", candidates.Select(r => $"'{r.Target.Name}!{(r.Junction is { } j ? j.Table.Name : r.ConstraintName)}'"))}. Find the desired relationship in the 'details' key.")
        {
            DetailsNode = details,
        };
    }

    /// <summary>
    /// Two embeds of one name at one level (no alias to tell them apart) would give one key twice; PostgREST fails
    /// in PostgreSQL on the duplicate join alias, with this error.
    /// </summary>
    private static void CheckDuplicateEmbed(DbRelation relation, IReadOnlyList<SelectItem> items, EmbedItem embed)
    {
        if (embed.Alias is null && !embed.Spread
            && items.OfType<EmbedItem>().Count(e => e.Alias is null && !e.Spread && e.Relation == embed.Relation) > 1)
        {
            throw new RestException(400, "42712", $"table name \"{relation.Name}_{embed.Relation}_1\" specified more than once");
        }
    }

    private static bool SingleColumn(IReadOnlyList<string> columns, string name) => columns.Count == 1 && columns[0] == name;

    public string FieldSql(DbRelation relation, string alias, FieldRef field)
    {
        StringBuilder sb;
        if (relation.Column(field.Name) is not null)
        {
            sb = new StringBuilder(alias).Append('.').Append(SqlParameters.Ident(field.Name));
        }
        else if (relation.ComputedFields.TryGetValue(field.Name, out var computed))
        {
            // A computed field: the function of the row, called by its qualified name (the row cast to the relation's
            // type, which a write's returned rows need).
            sb = new StringBuilder("(").Append(SqlParameters.Qualified(computed.Schema, computed.Name)).Append('(')
                .Append(alias).Append("::").Append(SqlParameters.Qualified(relation.Schema, relation.Name)).Append("))");
        }
        else if (field is { Name: "count", Path.Count: 0 })
        {
            // PostgREST writes t.count, which PostgreSQL reads as count(t): the legacy count of the rows, allowed
            // whether or not aggregates are enabled.
            return "pg_catalog.count(*)";
        }
        else
        {
            throw RestException.UndefinedColumn(labels.GetValueOrDefault(alias, relation.Name), field.Name);
        }

        foreach (var step in field.Path)
        {
            sb.Append(step.AsText ? "->>" : "->");
            sb.Append(int.TryParse(step.Key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)
                ? parameters.Integer(index)
                : parameters.Text(step.Key));
        }

        return sb.ToString();
    }

    public string ConditionSql(DbRelation relation, string alias, Condition condition)
    {
        switch (condition)
        {
            case LogicCondition logic:
                var parts = logic.Children.Select(c => ConditionSql(relation, alias, c));
                var joined = "(" + string.Join(logic.IsOr ? " OR " : " AND ", parts) + ")";
                return logic.Negated ? "NOT " + joined : joined;
            case FilterCondition filter:
                var sql = FilterSql(relation, alias, filter);
                return filter.Negated ? "NOT (" + sql + ")" : sql;
            default:
                throw new RestException("unknown condition");
        }
    }

    private string FilterSql(DbRelation relation, string alias, FilterCondition filter)
    {
        var lhs = FieldSql(relation, alias, filter.Field);
        switch (filter.Operation)
        {
            case IsOperation isOp:
                return isOp.Value switch
                {
                    "null" => lhs + " IS NULL",
                    "not_null" => lhs + " IS NOT NULL",
                    "true" => lhs + " IS TRUE",
                    "false" => lhs + " IS FALSE",
                    _ => lhs + " IS UNKNOWN",
                };
            case InOperation inOp:
                return $"{lhs} = ANY({parameters.Unknown(SqlParameters.ArrayLiteral(inOp.Values))})";
            case FtsOperation fts:
                var function = fts.Operator switch
                {
                    "fts" => "to_tsquery",
                    "plfts" => "plainto_tsquery",
                    "phfts" => "phraseto_tsquery",
                    _ => "websearch_to_tsquery",
                };
                var config = fts.Config is null ? "" : parameters.Text(fts.Config) + "::regconfig, ";
                var column = relation.Column(filter.Field.Name);
                var isTsVector = column is null
                    ? relation.ComputedFields.GetValueOrDefault(filter.Field.Name)?.ReturnType == "tsvector"
                    : column.TypeName == "tsvector";
                var target = filter.Field.Path.Count == 0 && isTsVector ? lhs : $"to_tsvector({config}{lhs})";
                return $"{target} @@ {function}({config}{parameters.Text(fts.Value)})";
            case SimpleOperation simple:
                var op = Operators[simple.Operator];
                var value = simple.Operator is "like" or "ilike" ? simple.Value.Replace('*', '%') : simple.Value;
                return simple.Quantifier switch
                {
                    Quantifier.Any => $"{lhs} {op} ANY({parameters.Unknown(value)})",
                    Quantifier.All => $"{lhs} {op} ALL({parameters.Unknown(value)})",
                    _ => $"{lhs} {op} {parameters.Unknown(value)}",
                };
            default:
                throw new RestException("unknown operation");
        }
    }

    private string OrderSql(DbRelation relation, string alias, IReadOnlyList<SelectItem> items, IReadOnlyList<OrderTerm> terms)
    {
        var parts = new List<string>();
        foreach (var term in terms)
        {
            string expr;
            if (term.Relation is { } relName)
            {
                var embed = items.OfType<EmbedItem>().FirstOrDefault(e => e.Name == relName || e.Relation == relName)
                    ?? throw new RestException(400, "PGRST108", $"'{relName}' is not an embedded resource in this request", null,
                        $"Verify that '{relName}' is included in the select query parameter.");
                var relationship = ResolveRelationship(relation, embed);
                if (!relationship.ToOne)
                {
                    throw new RestException(400, "PGRST118", $"A related order on '{relName}' is not possible",
                        $"'{relation.Name}' and '{relName}' do not form a many-to-one or one-to-one relationship");
                }

                var a = "o" + (++aliasCounter).ToString(CultureInfo.InvariantCulture);
                var joins = string.Join(" AND ", relationship.SourceColumns.Select((c, i) =>
                    $"{a}.{SqlParameters.Ident(relationship.TargetColumns[i])} = {alias}.{SqlParameters.Ident(c)}"));
                expr = $"(SELECT {FieldSql(relationship.Target, a, term.Field)} FROM {SqlParameters.Qualified(relationship.Target.Schema, relationship.Target.Name)} {a} WHERE {joins})";
            }
            else
            {
                expr = FieldSql(relation, alias, term.Field);
            }

            var sb = new StringBuilder(expr).Append(term.Descending ? " DESC" : " ASC");
            if (term.NullsFirst is { } first)
            {
                sb.Append(first ? " NULLS FIRST" : " NULLS LAST");
            }

            parts.Add(sb.ToString());
        }

        return " ORDER BY " + string.Join(", ", parts);
    }
}
