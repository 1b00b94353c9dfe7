using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>Reads the schema cache from pg_catalog in one round trip.</summary>
internal static class SchemaLoader
{
    private const string SystemSchemas = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'";

    private static readonly string RelationsSql = $"""
        SELECT n.nspname, c.relname, c.relkind::text, c.reltype::bigint,
               a.attname, format_type(a.atttypid, a.atttypmod),
               CASE WHEN t.typbasetype <> 0 AND d.adbin IS NULL THEN pg_get_expr(t.typdefaultbin, 0)
                    WHEN a.attidentity = 'd' THEN format('nextval(%L)', pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname))
                    WHEN a.attgenerated = 's' THEN NULL
                    ELSE pg_get_expr(d.adbin, d.adrelid) END,
               NOT a.attnotnull,
               t.typcategory::text, t.typname, c.oid::bigint, a.attnum::int
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p', 'c') AND {SystemSchemas}
        ORDER BY n.nspname, c.relname, a.attnum
        """;

    private const string ConstraintsSql = """
        SELECT con.conname, con.contype::text, n.nspname, c.relname,
               ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, i)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.i),
               fn.nspname, fc.relname,
               ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, i)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.i)
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class fc ON fc.oid = con.confrelid
        LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
        WHERE con.contype IN ('p', 'u', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        ORDER BY con.conname
        """;

    /// <summary>The stored query of every view: its target list says which table column each view column is.</summary>
    private static readonly string ViewsSql = $"""
        SELECT c.oid::bigint, r.ev_action::text
        FROM pg_rewrite r
        JOIN pg_class c ON c.oid = r.ev_class
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND r.rulename = '_RETURN' AND {SystemSchemas}
        """;

    private static readonly string FunctionsSql = $"""
        SELECT n.nspname, p.proname,
               coalesce(p.proargnames, ARRAY[]::text[]),
               coalesce(p.proargmodes::text[], ARRAY[]::text[]),
               ARRAY(SELECT format_type(x.t, NULL) FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY x(t, i) ORDER BY x.i),
               p.pronargs::int, p.pronargdefaults::int, p.proretset,
               format_type(p.prorettype, NULL), rt.typtype::text, rt.oid::bigint, p.provolatile::text,
               CASE WHEN p.pronargs = 1 THEN p.proargtypes[0]::bigint ELSE 0 END, p.prorows::float8
        FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        JOIN pg_type rt ON rt.oid = p.prorettype
        WHERE p.prokind = 'f' AND {SystemSchemas}
        ORDER BY n.nspname, p.proname, p.oid
        """;

    /// <summary>Every role with its settings; a role's settings for this database come after its general ones.</summary>
    private const string RolesSql = """
        SELECT r.rolname, s.setconfig
        FROM pg_roles r
        LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid
             AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
        ORDER BY r.rolname, s.setdatabase
        """;

    public static async Task<SchemaSnapshot> LoadAsync(NpgsqlDataSource dataSource, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(RelationsSql),
                new NpgsqlBatchCommand(ConstraintsSql),
                new NpgsqlBatchCommand(ViewsSql),
                new NpgsqlBatchCommand(FunctionsSql),
                new NpgsqlBatchCommand(RolesSql),
                new NpgsqlBatchCommand("SELECT name FROM pg_catalog.pg_timezone_names"),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);

        var relations = new Dictionary<(string, string), DbRelation>();
        var byRowType = new Dictionary<long, DbRelation>();
        var byOid = new Dictionary<long, DbRelation>();
        var columnNames = new Dictionary<(long, int), string>();
        {
            string? schema = null, name = null, kind = null;
            long rowType = 0, oid = 0;
            var columns = new List<DbColumn>();
            void Flush()
            {
                if (schema is not null)
                {
                    var relation = new DbRelation(schema, name!, kind![0], columns.ToArray());
                    relations[(schema, name!)] = relation;
                    byRowType[rowType] = relation;
                    byOid[oid] = relation;
                }
            }

            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var s = reader.GetString(0);
                var n = reader.GetString(1);
                if (s != schema || n != name)
                {
                    Flush();
                    schema = s;
                    name = n;
                    kind = reader.GetString(2);
                    rowType = reader.GetInt64(3);
                    oid = reader.GetInt64(10);
                    columns = [];
                }

                columnNames[(oid, reader.GetInt32(11))] = reader.GetString(4);

                columns.Add(new DbColumn(
                    reader.GetString(4),
                    reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.GetBoolean(7),
                    reader.GetString(8)[0],
                    reader.GetString(9)));
            }

            Flush();
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var foreignKeys = new List<(string Name, DbRelation Source, string[] Cols, DbRelation Target, string[] RefCols)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var conName = reader.GetString(0);
            var type = reader.GetString(1);
            if (!relations.TryGetValue((reader.GetString(2), reader.GetString(3)), out var relation))
            {
                continue;
            }

            var cols = reader.GetFieldValue<string[]>(4);
            switch (type)
            {
                case "p":
                    relation.PrimaryKey = cols;
                    relation.UniqueKeys.Add(cols);
                    break;
                case "u":
                    relation.UniqueKeys.Add(cols);
                    break;
                case "f" when !reader.IsDBNull(5) && relations.TryGetValue((reader.GetString(5), reader.GetString(6)), out var target):
                    foreignKeys.Add((conName, relation, cols, target, reader.GetFieldValue<string[]>(7)));
                    break;
            }
        }

        foreach (var (fkName, source, cols, target, refCols) in foreignKeys)
        {
            // Many-to-one from the referencing side, one-to-many (or one-to-one) from the referenced side.
            source.Relationships.Add(new DbRelationship(source, target, fkName, cols, refCols, ToOne: true, SourceOwnsKey: true));
            var unique = source.UniqueKeys.Any(k => k.Count == cols.Length && k.All(cols.Contains));
            target.Relationships.Add(new DbRelationship(target, source, fkName, refCols, cols, ToOne: unique, SourceOwnsKey: false));
        }

        AddManyToMany(relations.Values);

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var views = new Dictionary<DbRelation, List<ViewRelationships.ColumnOrigin>>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (byOid.TryGetValue(reader.GetInt64(0), out var view))
            {
                views[view] = ViewRelationships.ParseOrigins(reader.GetString(1));
            }
        }

        ViewRelationships.Add(views, byOid, columnNames);

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var functions = new Dictionary<(string, string), List<DbFunction>>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var fn = ReadFunction(reader, byRowType);
            if (byRowType.TryGetValue(reader.GetInt64(12), out var rowOf) && rowOf.Kind != 'c')
            {
                AddComputed(rowOf, fn, singleRow: !fn.ReturnsSet || reader.GetDouble(13) == 1);
            }

            if (!fn.Callable)
            {
                continue;
            }

            if (!functions.TryGetValue((fn.Schema, fn.Name), out var list))
            {
                functions[(fn.Schema, fn.Name)] = list = [];
            }

            list.Add(fn);
        }

        foreach (var overloads in functions.Values)
        {
            overloads.Sort(FunctionOverloadOrder.Instance);
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var roles = new HashSet<string>(StringComparer.Ordinal);
        var roleSettings = new Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>>(StringComparer.Ordinal);
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var role = reader.GetString(0);
            roles.Add(role);
            if (reader.IsDBNull(1))
            {
                continue;
            }

            var settings = new List<KeyValuePair<string, string>>(roleSettings.GetValueOrDefault(role) ?? []);
            foreach (var entry in reader.GetFieldValue<string[]>(1))
            {
                var eq = entry.IndexOf('=', StringComparison.Ordinal);
                var key = eq > 0 ? entry[..eq] : entry;
                if (role == "authenticator" && eq > 0 && key.StartsWith("pgrst.", StringComparison.Ordinal))
                {
                    // The in-database configuration; a setting for this database overrides the role's general one.
                    config[key["pgrst.".Length..]] = entry[(eq + 1)..];
                }

                // Only settings a transaction may change; session_preload_libraries and friends are not.
                if (eq > 0 && key is "statement_timeout" or "lock_timeout" or "idle_in_transaction_session_timeout")
                {
                    settings.Add(new(key, entry[(eq + 1)..]));
                }
            }

            roleSettings[role] = settings;
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var timeZones = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            timeZones.Add(reader.GetString(0));
        }

        return new SchemaSnapshot(
            relations,
            functions.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<DbFunction>)kv.Value),
            roles,
            roleSettings,
            timeProvider.GetTimestamp(),
            timeZones,
            InDatabaseConfig.From(config));
    }

    /// <summary>
    /// A function of one row of <paramref name="relation"/>: a computed field (selected, filtered and ordered like
    /// a column), and, when it returns rows of a table or view, a computed relationship embedded by its name.
    /// </summary>
    private static void AddComputed(DbRelation relation, DbFunction function, bool singleRow)
    {
        relation.ComputedFields.TryAdd(function.Name, function);
        if (function.ReturnKind == DbReturnKind.Composite && function.ReturnRelation is { Kind: not 'o' and not 'c' } target)
        {
            relation.Relationships.Add(new DbRelationship(relation, target, function.Name, [], [], ToOne: singleRow, SourceOwnsKey: false)
            {
                Function = function,
            });
        }
    }

    /// <summary>
    /// PostgREST's <c>addM2MRels</c>: for every table with two different foreign keys whose columns together are a
    /// subset of its primary key, the first key's target gets a many-to-many relationship to the second key's target
    /// through that table (self-references included).
    /// </summary>
    private static void AddManyToMany(IEnumerable<DbRelation> relations)
    {
        foreach (var junction in relations.ToList())
        {
            if (junction.PrimaryKey.Count == 0)
            {
                continue;
            }

            var keys = junction.Relationships.Where(r => r.SourceOwnsKey && r.Junction is null).ToList();
            foreach (var first in keys)
            {
                foreach (var second in keys)
                {
                    if (first.ConstraintName == second.ConstraintName
                        || !first.SourceColumns.Concat(second.SourceColumns).All(junction.PrimaryKey.Contains))
                    {
                        continue;
                    }

                    first.Target.Relationships.Add(new DbRelationship(first.Target, second.Target, junction.Name,
                        first.TargetColumns, second.TargetColumns, ToOne: false, SourceOwnsKey: false)
                    {
                        Junction = new DbJunction(junction, first, second),
                    });
                }
            }
        }
    }

    private static DbFunction ReadFunction(NpgsqlDataReader reader, Dictionary<long, DbRelation> byRowType)
    {
        var schema = reader.GetString(0);
        var name = reader.GetString(1);
        var argNames = reader.GetFieldValue<string[]>(2);
        var argModes = reader.GetFieldValue<string[]>(3);
        var argTypes = reader.GetFieldValue<string[]>(4);
        var inputCount = reader.GetInt32(5);
        var defaults = reader.GetInt32(6);
        var returnsSet = reader.GetBoolean(7);
        var returnType = reader.GetString(8);
        var typType = reader.GetString(9);
        var returnTypeOid = reader.GetInt64(10);
        var volatility = reader.GetString(11)[0];

        var parameters = new List<DbParameter>();
        var outColumns = new List<DbColumn>();
        for (var i = 0; i < argTypes.Length; i++)
        {
            var mode = argModes.Length == 0 ? "i" : argModes[i];
            var argName = i < argNames.Length ? argNames[i] : "";
            if (mode is "o" or "t")
            {
                outColumns.Add(new DbColumn(argName, argTypes[i], null, true, 'X', argTypes[i]));
                continue;
            }

            if (mode is "b")
            {
                outColumns.Add(new DbColumn(argName, argTypes[i], null, true, 'X', argTypes[i]));
            }

            var index = parameters.Count;
            parameters.Add(new DbParameter(argName, argTypes[i], index >= inputCount - defaults, mode == "v"));
        }

        DbReturnKind kind;
        DbRelation? relation = null;
        if (returnType == "void")
        {
            kind = DbReturnKind.Void;
        }
        else if (typType == "c" && byRowType.TryGetValue(returnTypeOid, out var rel))
        {
            kind = DbReturnKind.Composite;
            relation = rel;
        }
        else if (returnType == "record" && outColumns.Count > 0)
        {
            kind = DbReturnKind.Composite;
            relation = new DbRelation(schema, name, 'o', outColumns);
        }
        else
        {
            kind = DbReturnKind.Scalar;
        }

        return new DbFunction(schema, name, parameters, returnsSet, returnType, kind, relation, volatility);
    }
}
