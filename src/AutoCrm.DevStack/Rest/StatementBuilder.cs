using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AutoCrm.DevStack.Rest;

/// <summary>Turns a parsed request into the main SQL statement (docs/protocols.md#one-request-one-transaction, step 3).</summary>
internal static class StatementBuilder
{
    private const string Tail = ", nullif(current_setting('response.headers', true), '') AS pgrst_headers, nullif(current_setting('response.status', true), '') AS pgrst_status";

    public static RestStatement Read(SchemaSnapshot schema, DbRelation relation, RestQuery query, CountPreference count, long? maxRows, BodyFormat format)
    {
        var parameters = new SqlParameters();
        var builder = new ReadQueryBuilder(schema, query.Modifiers, parameters);
        var from = SqlParameters.Qualified(relation.Schema, relation.Name) + " t0";
        return ReadFrom(builder, relation, query, from, count, maxRows, format, readOnly: true);
    }

    private static RestStatement ReadFrom(ReadQueryBuilder builder, DbRelation relation, RestQuery query, string from, CountPreference count, long? maxRows, BodyFormat format, bool readOnly)
    {
        var parts = builder.Build(relation, "t0", query.Select, "", applyModifiers: true, maxRows);
        builder.CheckModifierPaths();
        var inner = $"SELECT {parts.SelectList} FROM {from}{parts.Joins}{parts.Where}{parts.GroupBy}{parts.OrderBy}{parts.Paging}";
        var countFrom = $"{from}{parts.InnerJoins}{parts.Where}";
        var total = count switch
        {
            CountPreference.Exact => $"(SELECT pg_catalog.count(*) FROM {countFrom})",
            CountPreference.Estimated => $"(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {countFrom} LIMIT {(maxRows ?? 1000) + 1}) pgrst_c)",
            _ => "NULL::bigint",
        };
        var sql = Final(null, total, inner, format);
        return new RestStatement(sql, builder.Parameters, ResultShape.Rows, readOnly)
        {
            ExplainSql = count is CountPreference.Planned or CountPreference.Estimated ? $"EXPLAIN (FORMAT JSON) SELECT 1 FROM {countFrom}" : null,
        };
    }

    // ---------------- writes ----------------

    public static RestStatement Insert(SchemaSnapshot schema, DbRelation relation, RestQuery query, Preferences prefs, JsonElement body, BodyFormat format)
    {
        var parameters = new SqlParameters();
        var rows = body.ValueKind == JsonValueKind.Array ? body.EnumerateArray().ToList() : [body];
        var columns = InsertColumns(relation, query, rows);
        var target = SqlParameters.Qualified(relation.Schema, relation.Name);
        var bodyParam = parameters.Json(body.ValueKind == JsonValueKind.Array ? body.GetRawText() : "[" + body.GetRawText() + "]");

        var columnList = string.Join(", ", columns.Select(SqlParameters.Ident));
        string selectList;
        string fromClause;
        if (prefs.Missing == true)
        {
            // A key absent from an object takes the column default; an explicit null stays null. As in PostgREST,
            // every row evaluates every default (a sequence advances even for a row that gives its own id).
            var defaults = columns.Select((c, i) => (Name: c, Default: relation.Column(c)!.Default, Index: i)).Where(d => d.Default is not null).ToList();
            selectList = string.Join(", ", columns.Select((c, i) =>
            {
                var value = $"pgrst_rec.{SqlParameters.Ident(c)}";
                return relation.Column(c)!.Default is null ? value : $"CASE WHEN pgrst_row.j -> {parameters.Text(c)} IS NULL THEN pgrst_defs.d{i} ELSE {value} END";
            }));
            // The row referenced inside keeps the subquery correlated, so it runs (and advances sequences) per row.
            var defaultsList = string.Join(", ", defaults.Select(d => $"{d.Default} AS d{d.Index}").Append("pgrst_row.j AS pgrst_ref"));
            fromClause = $"json_array_elements({bodyParam}) pgrst_row(j), LATERAL json_populate_record(NULL::{target}, pgrst_row.j) pgrst_rec, LATERAL (SELECT {defaultsList}) pgrst_defs";
        }
        else
        {
            selectList = string.Join(", ", columns.Select(c => "pgrst_rec." + SqlParameters.Ident(c)));
            fromClause = $"json_populate_recordset(NULL::{target}, {bodyParam}) pgrst_rec";
        }

        var sql = new StringBuilder($"INSERT INTO {target} AS t0");
        sql.Append(columns.Count == 0 ? "" : $" ({columnList})");
        sql.Append($" SELECT {selectList} FROM {fromClause}");

        var conflict = query.OnConflict ?? (relation.PrimaryKey.Count > 0 ? relation.PrimaryKey : null);
        var merge = false;
        if (prefs.Resolution != ResolutionPreference.None && conflict is not null)
        {
            foreach (var c in conflict)
            {
                if (relation.Column(c) is null)
                {
                    throw RestException.UndefinedColumn(relation.Name, c);
                }
            }

            sql.Append($" ON CONFLICT ({string.Join(", ", conflict.Select(SqlParameters.Ident))})");
            var updatable = columns.Where(c => !conflict.Contains(c)).ToList();
            if (prefs.Resolution == ResolutionPreference.IgnoreDuplicates || columns.Count == 0)
            {
                sql.Append(" DO NOTHING");
            }
            else
            {
                merge = true;
                var set = updatable.Count > 0 ? updatable : columns;
                sql.Append(" DO UPDATE SET ").Append(string.Join(", ", set.Select(c => $"{SqlParameters.Ident(c)} = EXCLUDED.{SqlParameters.Ident(c)}")));
            }
        }

        var location = prefs.Return == ReturnPreference.HeadersOnly && relation.PrimaryKey.Count > 0 ? relation.PrimaryKey : null;
        return WithReturning(schema, relation, query, sql.ToString(), parameters, prefs, format, merge && relation.Kind is 'r' or 'p') with { LocationKeys = location };
    }

    private static List<string> InsertColumns(DbRelation relation, RestQuery query, List<JsonElement> rows)
    {
        foreach (var row in rows)
        {
            if (row.ValueKind != JsonValueKind.Object)
            {
                throw RestException.InvalidBody("All object keys must match");
            }
        }

        List<string> columns;
        if (query.Columns is { } given)
        {
            columns = [.. given.Distinct()];
        }
        else
        {
            columns = rows.Count == 0 ? [] : [.. rows[0].EnumerateObject().Select(p => p.Name).Distinct()];
            var set = new HashSet<string>(columns, StringComparer.Ordinal);
            foreach (var row in rows.Skip(1))
            {
                var keys = row.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                if (!keys.SetEquals(set))
                {
                    throw RestException.InvalidBody("All object keys must match");
                }
            }
        }

        foreach (var c in columns)
        {
            if (relation.Column(c) is null)
            {
                throw RestException.UnknownColumnInBody(c, relation.Name);
            }
        }

        return columns;
    }

    public static RestStatement Update(SchemaSnapshot schema, DbRelation relation, RestQuery query, Preferences prefs, JsonElement body, BodyFormat format)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw RestException.InvalidBody("Empty or invalid json");
        }

        var parameters = new SqlParameters();
        var builder = new ReadQueryBuilder(schema, query.Modifiers, parameters);
        var columns = query.Columns?.ToList() ?? [.. body.EnumerateObject().Select(p => p.Name).Distinct()];
        foreach (var c in columns)
        {
            if (relation.Column(c) is null)
            {
                throw RestException.UnknownColumnInBody(c, relation.Name);
            }
        }

        var target = SqlParameters.Qualified(relation.Schema, relation.Name);
        var where = RootWhere(builder, relation, query, "UPDATE");
        string sql;
        if (columns.Count == 0)
        {
            // Nothing to set: PostgREST answers as if no row matched.
            sql = $"SELECT t0.* FROM {target} t0 WHERE false";
        }
        else
        {
            var bodyParam = parameters.Json(body.GetRawText());
            var set = string.Join(", ", columns.Select(c => $"{SqlParameters.Ident(c)} = pgrst_body.{SqlParameters.Ident(c)}"));
            sql = $"UPDATE {target} t0 SET {set} FROM (SELECT * FROM json_populate_record(NULL::{target}, {bodyParam})) pgrst_body WHERE {where}";
        }

        return WithReturning(schema, relation, query, sql, parameters, prefs, format, trackInserted: false, builder);
    }

    public static RestStatement Delete(SchemaSnapshot schema, DbRelation relation, RestQuery query, Preferences prefs, BodyFormat format)
    {
        var parameters = new SqlParameters();
        var builder = new ReadQueryBuilder(schema, query.Modifiers, parameters);
        var where = RootWhere(builder, relation, query, "DELETE");
        var sql = $"DELETE FROM {SqlParameters.Qualified(relation.Schema, relation.Name)} t0 WHERE {where}";
        return WithReturning(schema, relation, query, sql, parameters, prefs, format, trackInserted: false, builder);
    }

    private static string RootWhere(ReadQueryBuilder builder, DbRelation relation, RestQuery query, string verb)
    {
        var conditions = query.Root.Conditions;
        if (conditions.Count == 0)
        {
            throw new RestException(400, "21000", $"{verb} requires a WHERE clause");
        }

        return string.Join(" AND ", conditions.Select(c => builder.ConditionSql(relation, "t0", c)));
    }

    private static RestStatement WithReturning(SchemaSnapshot schema, DbRelation relation, RestQuery query, string write, SqlParameters parameters, Preferences prefs, BodyFormat format, bool trackInserted, ReadQueryBuilder? builder = null)
    {
        builder ??= new ReadQueryBuilder(schema, query.Modifiers, parameters);
        var ret = prefs.Return ?? ReturnPreference.Minimal;
        if (ret == ReturnPreference.Minimal && !format.IsSingular && !trackInserted && !write.StartsWith("SELECT", StringComparison.Ordinal))
        {
            // No RETURNING: the row count comes from the command tag, and SELECT policies are not involved.
            return new RestStatement(write, parameters, ResultShape.Affected, ReadOnly: false);
        }

        var returning = write.StartsWith("SELECT", StringComparison.Ordinal) ? "" : " RETURNING t0.*" + (trackInserted ? ", (t0.xmax = 0) AS pgrst_inserted" : "");
        IReadOnlyList<SelectItem> items = ret switch
        {
            ReturnPreference.Representation => query.Select,
            ReturnPreference.HeadersOnly when relation.PrimaryKey.Count > 0 => [.. relation.PrimaryKey.Select(k => new ColumnItem(FieldRef.Column(k), null, null))],
            _ => [],
        };
        var parts = builder.Build(relation, "t0", items, "", applyModifiers: false, maxRows: null);
        builder.CheckModifierPaths();
        var inserted = trackInserted ? "(SELECT pg_catalog.count(*) FROM pgrst_source WHERE pgrst_inserted)" : "NULL::bigint";
        var sql = Final($"pgrst_source AS ({write}{returning})", inserted, $"SELECT {parts.SelectList} FROM pgrst_source t0{parts.Joins}", ret == ReturnPreference.Representation ? format : format with { Kind = format.IsSingular ? BodyKind.Singular : BodyKind.Json });
        return new RestStatement(sql, parameters, ResultShape.Rows, ReadOnly: false);
    }

    // ---------------- RPC ----------------

    public static RestStatement Call(SchemaSnapshot schema, DbFunction function, RestQuery query, CallArguments arguments, IReadOnlyCollection<string> argumentNames, bool readOnly, CountPreference count, long? maxRows, BodyFormat format)
    {
        var parameters = new SqlParameters();
        var qualified = SqlParameters.Qualified(function.Schema, function.Name);
        var argumentsJson = arguments.Json;
        string call;
        string? argsFrom = null;
        if (function.TakesOnePositional)
        {
            // PostgREST's one positional parameter: the whole body (or the query arguments as JSON), cast to its type.
            var value = arguments.Bytes is { } bytes ? parameters.Bytea(bytes)
                : parameters.Unknown(arguments.Text ?? argumentsJson ?? "{}") + "::" + function.Parameters[0].Type;
            call = $"{qualified}({value})";
        }
        else if (argumentNames.Count == 0)
        {
            call = $"{qualified}()";
        }
        else
        {
            var used = function.Parameters.Where(p => argumentNames.Contains(p.Name)).ToList();
            argsFrom = $"json_to_record({parameters.Json(argumentsJson ?? "{}")}) AS pgrst_args({string.Join(", ", used.Select(p => $"{SqlParameters.Ident(p.Name)} {p.Type}"))})";
            call = $"{qualified}({string.Join(", ", used.Select(p => $"{(p.Variadic ? "VARIADIC " : "")}{SqlParameters.Ident(p.Name)} := pgrst_args.{SqlParameters.Ident(p.Name)}"))})";
        }

        if (function.ReturnKind == DbReturnKind.Composite && function.ReturnRelation is { } relation)
        {
            var from = argsFrom is null ? $"{call} t0" : $"{argsFrom}, LATERAL {call} t0";
            var builder = new ReadQueryBuilder(schema, query.Modifiers, parameters);
            var rowFormat = function.ReturnsSet || format.Kind != BodyKind.Json ? format : format with { Kind = BodyKind.Singular };
            var statement = ReadFrom(builder, relation, query, from, count, function.ReturnsSet ? maxRows : null, rowFormat, readOnly);
            return function.ReturnsSet ? statement : statement with { Shape = ResultShape.Value };
        }

        if (function.ReturnsSet)
        {
            var from = argsFrom is null ? $"{call} t0(pgrst_scalar)" : $"{argsFrom}, LATERAL {call} t0(pgrst_scalar)";
            var limit = query.Root.Limit is { } l ? $" LIMIT {parameters.BigInt(maxRows is { } m ? Math.Min(l, m) : l)}" : maxRows is { } mr ? $" LIMIT {parameters.BigInt(mr)}" : "";
            var offset = query.Root.Offset is { } o and > 0 ? $" OFFSET {parameters.BigInt(o)}" : "";
            var total = count == CountPreference.None ? "NULL::bigint" : $"(SELECT pg_catalog.count(*) FROM {from})";
            var sqlSet = Final(null, total, $"SELECT t0.pgrst_scalar FROM {from}{limit}{offset}", format, scalar: true);
            return new RestStatement(sqlSet, parameters, ResultShape.Rows, readOnly);
        }

        var source = argsFrom is null ? "" : " FROM " + argsFrom;
        var sql = format.Kind is BodyKind.Json or BodyKind.Singular
            ? $"SELECT NULL::bigint AS pgrst_total, 1::bigint AS pgrst_count, {(format.StripNulls ? "json_strip_nulls(to_json(pgrst_call.pgrst_scalar))" : "to_json(pgrst_call.pgrst_scalar)")}::text AS pgrst_body{Tail} FROM (SELECT {call} AS pgrst_scalar{source}) pgrst_call"
            : Final(null, "NULL::bigint", $"SELECT {call} AS pgrst_scalar{source}", format, scalar: true);
        return new RestStatement(sql, parameters, function.ReturnKind == DbReturnKind.Void ? ResultShape.None : ResultShape.Value, readOnly);
    }

    /// <summary>
    /// The statement every request ends in: total, page count, the body aggregated in PostgreSQL in the negotiated
    /// format (PostgREST's <c>asJsonF</c>/<c>asJsonSingleF</c>/<c>asCsvF</c>/<c>asGeoJsonF</c>), and the response GUCs.
    /// </summary>
    private static string Final(string? cte, string total, string projection, BodyFormat format, bool scalar = false)
    {
        var value = scalar ? "_postgrest_t.pgrst_scalar" : "_postgrest_t";
        string Strip(string json) => format.StripNulls ? $"json_strip_nulls({json})" : json;
        if (format.Kind == BodyKind.Csv)
        {
            // The header is the keys of the first row (none without rows); each line is the row's record text
            // without its parentheses, so quoting and empty nulls are PostgreSQL's record output, as in PostgREST.
            var ctes = (cte is null ? "" : cte + ", ") + $"pgrst_rows AS ({projection})";
            const string header = "(SELECT coalesce(string_agg(a.k, ','), '') FROM (SELECT json_object_keys(r)::text AS k FROM (SELECT row_to_json(hh) AS r FROM pgrst_rows AS hh LIMIT 1) s) a)";
            const string lines = "coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), chr(10)), '')";
            return $"WITH {ctes} SELECT {total} AS pgrst_total, pg_catalog.count(_postgrest_t) AS pgrst_count, {header} || chr(10) || {lines} AS pgrst_body{Tail} FROM pgrst_rows _postgrest_t";
        }

        var body = format.Kind switch
        {
            BodyKind.Singular => $"({Strip($"json_agg({value})->0")})::text",
            BodyKind.GeoJson => "json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(ST_AsGeoJSON(_postgrest_t)::json), '[]'))::text",
            _ => $"coalesce({Strip($"json_agg({value})")}, '[]')::text",
        };
        return $"{(cte is null ? "" : "WITH " + cte + " ")}SELECT {total} AS pgrst_total, pg_catalog.count(_postgrest_t) AS pgrst_count, {body} AS pgrst_body{Tail} FROM ({projection}) _postgrest_t";
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The arguments of an RPC call: JSON (body or query string), or a raw text/xml or bytea body.</summary>
internal sealed record CallArguments(string? Json, string? Text = null, byte[]? Bytes = null);
