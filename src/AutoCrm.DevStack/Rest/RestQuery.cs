using Microsoft.AspNetCore.Http;

namespace AutoCrm.DevStack.Rest;

/// <summary>The parsed query string of one request.</summary>
internal sealed class RestQuery
{
    private static readonly HashSet<string> PagingKeys = ["order", "limit", "offset"];

    public IReadOnlyList<SelectItem> Select { get; private set; } = [new StarItem()];

    public bool HasSelect { get; private set; }

    public Dictionary<string, NodeModifiers> Modifiers { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string>? Columns { get; private set; }

    public IReadOnlyList<string>? OnConflict { get; private set; }

    /// <summary>RPC arguments taken from the query string (GET/HEAD /rpc/fn).</summary>
    public List<KeyValuePair<string, string>> Arguments { get; } = [];

    public NodeModifiers Root => Node("");

    public NodeModifiers Node(string path)
    {
        if (!Modifiers.TryGetValue(path, out var node))
        {
            Modifiers[path] = node = new NodeModifiers();
        }

        return node;
    }

    /// <param name="query">The decoded query string.</param>
    /// <param name="isArgument">For RPC reads: whether a plain key names a function argument.</param>
    public static RestQuery Parse(IQueryCollection query, Func<string, bool>? isArgument)
    {
        var result = new RestQuery();
        result.Node("");
        foreach (var (key, values) in query)
        {
            foreach (var value in values)
            {
                result.Add(key, value ?? "", isArgument);
            }
        }

        return result;
    }

    private void Add(string key, string value, Func<string, bool>? isArgument)
    {
        switch (key)
        {
            case "select":
                Select = QueryParser.ParseSelect(value);
                HasSelect = true;
                return;
            case "columns":
                Columns = QueryParser.ParseColumnList(value, "columns");
                return;
            case "on_conflict":
                OnConflict = QueryParser.ParseColumnList(value, "on_conflict");
                return;
        }

        if (isArgument is not null && isArgument(key))
        {
            Arguments.Add(new(key, value));
            return;
        }

        var segments = SplitKey(key);
        var last = segments[^1];
        if (PagingKeys.Contains(last))
        {
            var node = Node(string.Join('.', segments[..^1]));
            switch (last)
            {
                case "order":
                    node.Order = QueryParser.ParseOrder(value);
                    break;
                case "limit":
                    node.Limit = QueryParser.ParseNonNegative(value, "limit");
                    break;
                default:
                    node.Offset = QueryParser.ParseNonNegative(value, "offset");
                    break;
            }

            return;
        }

        if (last is "or" or "and")
        {
            var negated = segments.Count >= 2 && segments[^2] == "not";
            var pathSegments = negated ? segments[..^2] : segments[..^1];
            Node(string.Join('.', pathSegments)).Conditions.Add(QueryParser.ParseLogicTree(last == "or", negated, value));
            return;
        }

        var field = QueryParser.ParseFieldKey(last);
        Node(string.Join('.', segments[..^1])).Conditions.Add(QueryParser.ParseFilterValue(field, value));
    }

    /// <summary>Splits <c>rel.sub."a.b"</c> on dots outside double quotes; a JSON path's keys stay with their column.</summary>
    internal static List<string> SplitKey(string key)
    {
        var parts = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < key.Length; i++)
        {
            var ch = key[i];
            if (ch == '"')
            {
                quoted = !quoted;
            }
            else if (ch == '\\' && quoted)
            {
                i++;
            }
            else if (ch == '.' && !quoted)
            {
                parts.Add(key[start..i]);
                start = i + 1;
            }
            else if (ch == '-' && !quoted && i + 1 < key.Length && key[i + 1] == '>')
            {
                // From the first JSON arrow on, dots belong to the keys of the path.
                break;
            }
        }

        parts.Add(key[start..]);
        return parts;
    }
}
