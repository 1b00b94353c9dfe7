using System.Text;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>
/// Generates <c>select=</c> values over the rt_* schema from PostgREST's grammar (columns, aliases, casts, JSON paths,
/// embeds with hints and join types, spreads), and hostile mutations of them. Deterministic for a given seed.
/// </summary>
internal sealed class SelectGrammar(int seed)
{
    private sealed record Relation(string Name, string[] Columns, string? JsonColumn, Embed[] Embeds);

    /// <summary>An embed from one table: the name and hint to write, whether it is to-one (spreadable).</summary>
    private sealed record Embed(string Target, string? Hint, bool ToOne);

    private static readonly Dictionary<string, Relation> Relations = new(StringComparer.Ordinal)
    {
        ["rt_books"] = new("rt_books", ["id", "title", "author_id", "editor_id", "published", "pages", "tags", "meta"], "meta",
            [new("rt_authors", "author_id", true), new("rt_authors", "editor_id", true), new("rt_reviews", null, false), new("rt_tags", null, false)]),
        ["rt_authors"] = new("rt_authors", ["id", "name", "country"], null, [new("rt_books", "author_id", false)]),
        ["rt_reviews"] = new("rt_reviews", ["id", "book_id", "stars", "body"], null, [new("rt_books", null, true)]),
        ["rt_tags"] = new("rt_tags", ["id", "name"], null, []),
    };

    /// <summary>Tables a generated request may read.</summary>
    public static IReadOnlyList<string> Roots { get; } = ["rt_books", "rt_authors", "rt_reviews"];

    /// <summary>Every schema name a statement may quote: schemas, tables (with junctions) and columns.</summary>
    public static IReadOnlySet<string> SchemaNames { get; } = new HashSet<string>(
        new[] { "public", "doc", "rt_book_tags", "rt_reading", "book_id", "tag_id", "since" }
            .Concat(Relations.Values.SelectMany(r => r.Columns.Append(r.Name))),
        StringComparer.Ordinal);

    private static readonly string[] Casts =
    [
        "text", "int", "INTEGER", "bigint", "numeric", "double precision", "varchar", "json", "jsonb", "boolean",
        "timestamp with time zone", "_text", "character varying", "no_such_type",
    ];

    private static readonly string[] Aliases = ["a", "b_2", "n", "\"x y\"", "\"q\\\"uote\"", "\"é\"", "select", "\"a.b\"", "\"c:d\"", "\"back\\\\slash\""];

    private static readonly string[] JsonKeys = ["kind", "rating", "stars", "0", "-1", "\"key with space\"", "\"a,b\"", "\"x\\\"y\""];

    private static readonly string[] Hostile =
    [
        "'", "\"", ";", "--", "/*", ")", "(", ",", ":", "::", "!", "...", "->", " ", "\\", "\0", "$1", "\n", "%", "é",
        "::text from pg_settings t0 union all select name", " union select 1", "');select pg_sleep(1)--", "\"\"",
        "::int) from pg_settings --", "!inner", "*",
    ];

    private readonly Random random = new(seed);

    /// <summary>A root table and a <c>select=</c> value: from the grammar, mutated one time in four.</summary>
    public (string Root, string Select) Next()
    {
        var root = Roots[random.Next(Roots.Count)];
        var select = Items(Relations[root], depth: 0);
        return (root, random.Next(4) == 0 ? Mutate(select) : select);
    }

    private string Items(Relation relation, int depth)
    {
        var count = 1 + random.Next(4);
        var items = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var roll = random.Next(10);
            if (roll == 0)
            {
                items.Add("*");
            }
            else if (roll <= 2 && depth < 2 && relation.Embeds.Length > 0)
            {
                items.Add(EmbedItem(relation, depth));
            }
            else
            {
                items.Add(Column(relation));
            }
        }

        return string.Join(',', items);
    }

    private string Column(Relation relation)
    {
        var sb = new StringBuilder();
        if (random.Next(3) == 0)
        {
            sb.Append(Pick(Aliases)).Append(':');
        }

        var column = Pick(relation.Columns);
        sb.Append(random.Next(8) == 0 ? "\"" + column + "\"" : column);
        if (column == relation.JsonColumn)
        {
            var steps = random.Next(4);
            for (var i = 0; i < steps; i++)
            {
                sb.Append(random.Next(2) == 0 ? "->" : "->>").Append(Pick(JsonKeys));
            }
        }

        if (random.Next(3) == 0)
        {
            sb.Append("::").Append(Pick(Casts));
        }

        return sb.ToString();
    }

    private string EmbedItem(Relation relation, int depth)
    {
        var embed = Pick(relation.Embeds);
        var target = Relations[embed.Target];
        var sb = new StringBuilder();
        var spread = embed.ToOne && random.Next(3) == 0;
        if (spread)
        {
            sb.Append("...");
        }
        else if (random.Next(3) == 0)
        {
            sb.Append(Pick(Aliases)).Append(':');
        }

        sb.Append(embed.Target);
        if (embed.Hint is not null)
        {
            sb.Append('!').Append(embed.Hint);
        }

        if (!spread && random.Next(4) == 0)
        {
            sb.Append(random.Next(2) == 0 ? "!inner" : "!left");
        }

        return sb.Append('(').Append(Items(target, depth + 1)).Append(')').ToString();
    }

    private string Mutate(string select)
    {
        var at = random.Next(select.Length + 1);
        switch (random.Next(4))
        {
            case 0:
                return select[..at] + Pick(Hostile) + select[at..];
            case 1:
                var cast = select.IndexOf("::", StringComparison.Ordinal);
                return cast < 0
                    ? select + "::text from pg_settings t0 union all select name"
                    : select[..(cast + 2)] + "text from pg_stat_user_tables t0 union all select relname" + select[(cast + 2)..].TrimStart('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '_');
            case 2:
                var length = random.Next(Math.Max(1, select.Length - at));
                return select[..at] + select[Math.Min(select.Length, at + length)..];
            default:
                var span = random.Next(select.Length - at + 1);
                return select[..(at + span)] + select[at..];
        }
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
