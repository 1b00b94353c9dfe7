using System.Globalization;
using System.Text;

namespace AutoCrm.DevStack.Rest;

/// <summary>
/// Relationships through views, as PostgREST derives them: a view column that is a plain column of a table carries
/// that table's foreign keys, so a view over <c>messages</c> embeds <c>users</c>, <c>users</c> embeds the view, and
/// two such views embed each other. A column's origin is read from the view's stored query (the
/// <c>resorigtbl</c>/<c>resorigcol</c> of its target list), following views over views.
/// </summary>
internal static class ViewRelationships
{
    private const int MaxViewDepth = 16;

    /// <summary>One output column of a view and the relation column it comes from (oid, attnum).</summary>
    internal readonly record struct ColumnOrigin(string Column, long Relation, int Attnum);

    /// <summary>
    /// The columns of the top-level target list in a <c>pg_rewrite.ev_action</c> text with a known origin: the
    /// TARGETENTRY nodes at brace depth 2 (inside the outermost QUERY; subqueries sit deeper).
    /// </summary>
    internal static List<ColumnOrigin> ParseOrigins(string evAction)
    {
        var origins = new List<ColumnOrigin>();
        var depth = 0;
        var token = new StringBuilder();
        string? key = null;
        string? name = null;
        long table = 0;
        var attnum = 0;
        var junk = false;
        var inEntry = false;
        var expectNodeName = false;

        void EndToken()
        {
            if (token.Length == 0)
            {
                return;
            }

            var text = token.ToString();
            token.Clear();
            if (expectNodeName)
            {
                expectNodeName = false;
                if (depth == 2 && text == "TARGETENTRY")
                {
                    inEntry = true;
                    (name, table, attnum, junk) = (null, 0, 0, false);
                }

                return;
            }

            if (!inEntry || depth != 2)
            {
                return;
            }

            if (text.StartsWith(':'))
            {
                key = text;
                return;
            }

            switch (key)
            {
                case ":resname":
                    name = text == "<>" ? null : text;
                    break;
                case ":resorigtbl":
                    _ = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out table);
                    break;
                case ":resorigcol":
                    _ = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out attnum);
                    break;
                case ":resjunk":
                    junk = text == "true";
                    break;
            }

            key = null;
        }

        for (var i = 0; i < evAction.Length; i++)
        {
            var ch = evAction[i];
            switch (ch)
            {
                case '\\' when i + 1 < evAction.Length:
                    token.Append(evAction[++i]);
                    break;
                case '{':
                    EndToken();
                    depth++;
                    expectNodeName = true;
                    break;
                case '}':
                    EndToken();
                    if (inEntry && depth == 2)
                    {
                        inEntry = false;
                        if (name is not null && table != 0 && attnum > 0 && !junk)
                        {
                            origins.Add(new ColumnOrigin(name, table, attnum));
                        }
                    }

                    depth--;
                    break;
                case ' ' or '\n' or '\t' or '(' or ')':
                    EndToken();
                    break;
                default:
                    token.Append(ch);
                    break;
            }
        }

        return origins;
    }

    /// <summary>
    /// Adds, for every foreign key between two tables, the same relationship from and to each view that shows all of
    /// the key's columns on its side.
    /// </summary>
    /// <param name="views">Each view with the origins of its columns.</param>
    /// <param name="byOid">Relations by oid.</param>
    /// <param name="columnName">The name of a relation's column by (oid, attnum).</param>
    internal static void Add(
        IReadOnlyDictionary<DbRelation, List<ColumnOrigin>> views,
        IReadOnlyDictionary<long, DbRelation> byOid,
        IReadOnlyDictionary<(long, int), string> columnName)
    {
        if (views.Count == 0)
        {
            return;
        }

        // view -> (base table, base column) -> the view's column, following views over views.
        var exposed = new Dictionary<DbRelation, List<(DbRelation Table, string TableColumn, string ViewColumn)>>();
        foreach (var view in views.Keys)
        {
            var list = new List<(DbRelation, string, string)>();
            foreach (var origin in views[view])
            {
                if (Resolve(origin.Relation, origin.Attnum, 0) is { } source)
                {
                    list.Add((source.Table, source.Column, origin.Column));
                }
            }

            exposed[view] = list;
        }

        (DbRelation Table, string Column)? Resolve(long oid, int attnum, int depth)
        {
            if (depth > MaxViewDepth || !byOid.TryGetValue(oid, out var relation) || !columnName.TryGetValue((oid, attnum), out var column))
            {
                return null;
            }

            if (!views.TryGetValue(relation, out var inner))
            {
                return (relation, column);
            }

            var next = inner.FirstOrDefault(o => o.Column == column);
            return next.Column is null ? null : Resolve(next.Relation, next.Attnum, depth + 1);
        }

        IReadOnlyList<string>? ViewColumns(DbRelation view, DbRelation table, IReadOnlyList<string> tableColumns)
        {
            var result = new List<string>(tableColumns.Count);
            foreach (var column in tableColumns)
            {
                var match = exposed[view].FirstOrDefault(e => ReferenceEquals(e.Table, table) && e.TableColumn == column);
                if (match.ViewColumn is null)
                {
                    return null;
                }

                result.Add(match.ViewColumn);
            }

            return result;
        }

        var foreignKeys = byOid.Values.Where(r => !views.ContainsKey(r))
            .SelectMany(r => r.Relationships.Where(x => x.Function is null && x.Junction is null && !views.ContainsKey(x.Target)))
            .ToList();
        foreach (var fk in foreignKeys)
        {
            var sources = new List<(DbRelation Relation, IReadOnlyList<string> Columns)> { (fk.Source, fk.SourceColumns) };
            var targets = new List<(DbRelation Relation, IReadOnlyList<string> Columns)> { (fk.Target, fk.TargetColumns) };
            foreach (var view in views.Keys)
            {
                if (ViewColumns(view, fk.Source, fk.SourceColumns) is { } onSource)
                {
                    sources.Add((view, onSource));
                }

                if (ViewColumns(view, fk.Target, fk.TargetColumns) is { } onTarget)
                {
                    targets.Add((view, onTarget));
                }
            }

            foreach (var (source, sourceColumns) in sources)
            {
                foreach (var (target, targetColumns) in targets)
                {
                    if (ReferenceEquals(source, fk.Source) && ReferenceEquals(target, fk.Target))
                    {
                        continue;
                    }

                    source.Relationships.Add(fk with { Source = source, Target = target, SourceColumns = sourceColumns, TargetColumns = targetColumns });
                }
            }
        }
    }
}
