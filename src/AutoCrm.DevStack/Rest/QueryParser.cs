using System.Text;

namespace AutoCrm.DevStack.Rest;

/// <summary>
/// Parses PostgREST's query-string grammar (docs/protocols.md#query-string-grammar) into the AST. Every failure is a
/// <see cref="RestException"/> with code PGRST100 and the position of the offending character.
/// </summary>
internal static partial class QueryParser
{
    private static readonly HashSet<string> SimpleOperators =
        ["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch", "isdistinct", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"];

    private static readonly HashSet<string> QuantifiableOperators = ["eq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"];

    private static readonly HashSet<string> FtsOperators = ["fts", "plfts", "phfts", "wfts"];

    private static readonly HashSet<string> Aggregates = ["count", "sum", "avg", "max", "min"];

    private const int MaxDepth = 64;

    /// <summary>
    /// How deep embeds may nest, and how many one <c>select=</c> may hold. PostgREST has no such limits; the DevStack
    /// has them because the planning time of nested LATERAL joins grows steeply with their number (48 of them held a
    /// connection for over 20 s), while a helpdesk screen embeds two or three.
    /// </summary>
    internal const int MaxEmbedDepth = 8;

    /// <inheritdoc cref="MaxEmbedDepth"/>
    internal const int MaxEmbeds = 32;

    private const string OperatorExpectation = "expecting \"not\" or operator (eq, gt, ...)";

    // ---------------- select ----------------

    public static IReadOnlyList<SelectItem> ParseSelect(string input)
    {
        var c = new Cursor(input, "select parameter");
        if (c.AtEnd)
        {
            return [new StarItem()];
        }

        var items = ParseSelectList(ref c, nested: false);
        if (!c.AtEnd)
        {
            throw c.Error($"unexpected \"{c.Peek}\" expecting end of input");
        }

        return items;
    }

    private static List<SelectItem> ParseSelectList(ref Cursor c, bool nested)
    {
        var items = new List<SelectItem>();
        if (nested && c.Peek == ')')
        {
            return items;
        }

        while (true)
        {
            items.Add(ParseSelectItem(ref c));
            if (c.TryConsume(','))
            {
                continue;
            }

            return items;
        }
    }

    private static SelectItem ParseSelectItem(ref Cursor c)
    {
        if (c.TryConsume('*'))
        {
            return new StarItem();
        }

        var spread = c.TryConsume("...");
        var start = c.Position;
        var first = ReadName(ref c, "field name (* or [a..z0..9_$])");
        string? alias = null;
        if (!spread && c.Peek == ':' && c.PeekAt(1) != ':')
        {
            c.Advance();
            alias = first;
            start = c.Position;
            first = ReadName(ref c, "field name (* or [a..z0..9_$])");
        }

        if (!spread && first == "count" && c.Peek == '(' && c.PeekAt(1) == ')')
        {
            // count() counts the rows (PostgREST never reads "count" as an embed); whether aggregates are allowed
            // is the schema's setting, checked when the statement is built.
            c.Advance(2);
            return new ColumnItem(FieldRef.Column("*"), alias, null) { Aggregate = "count", AggregateCast = ParseCast(ref c) };
        }

        if (c.Peek == '(' || c.Peek == '!')
        {
            return ParseEmbed(ref c, first, alias, spread);
        }

        if (spread)
        {
            throw c.Error($"unexpected \"{Describe(c)}\" expecting \"(\"");
        }

        _ = start;
        var path = ParseJsonPath(ref c, stopAtDot: false);
        var cast = ParseCast(ref c);
        if (c.Peek == '.' && TryAggregateSuffix(c) is { } aggregate)
        {
            c.Advance(aggregate.Length + 3);
            return new ColumnItem(new FieldRef(first, path), alias, cast) { Aggregate = aggregate, AggregateCast = ParseCast(ref c) };
        }

        return new ColumnItem(new FieldRef(first, path), alias, cast);
    }

    /// <summary>An optional <c>::type</c>, as its canonical name (see <see cref="CastType"/>).</summary>
    private static string? ParseCast(ref Cursor c)
    {
        if (!c.TryConsume("::"))
        {
            return null;
        }

        var castStart = c.Position;
        while (!c.AtEnd && CastType.IsCastChar(c.Peek))
        {
            c.Advance();
        }

        var text = c.Slice(castStart);
        if (text.Trim().Length == 0)
        {
            throw c.Error($"unexpected \"{Describe(c)}\" expecting cast type");
        }

        var cast = CastType.Normalize(text);
        if (cast is null)
        {
            c.Position = castStart;
            throw c.Error($"invalid cast type \"{text.Trim()}\" expecting a type name");
        }

        return cast;
    }

    /// <summary>The aggregate named by <c>.name()</c> at the cursor, or null.</summary>
    private static string? TryAggregateSuffix(Cursor c)
    {
        var rest = c.Rest;
        foreach (var agg in Aggregates)
        {
            if (rest.StartsWith("." + agg + "()", StringComparison.Ordinal))
            {
                return agg;
            }
        }

        return null;
    }

    private static EmbedItem ParseEmbed(ref Cursor c, string relation, string? alias, bool spread)
    {
        if (++c.Depth > MaxEmbedDepth)
        {
            throw c.Error($"embedded resources nested deeper than {MaxEmbedDepth} levels");
        }

        if (++c.Embeds > MaxEmbeds)
        {
            throw c.Error($"more than {MaxEmbeds} embedded resources");
        }

        string? hint = null;
        var join = EmbedJoin.Default;
        while (c.TryConsume('!'))
        {
            var word = ReadName(ref c, "hint or join type");
            switch (word)
            {
                case "inner":
                    join = EmbedJoin.Inner;
                    break;
                case "left":
                    join = EmbedJoin.Left;
                    break;
                default:
                    if (hint is not null)
                    {
                        throw c.Error($"unexpected \"!\" expecting \"(\"");
                    }

                    hint = word;
                    break;
            }
        }

        if (!c.TryConsume('('))
        {
            throw c.Error($"unexpected \"{Describe(c)}\" expecting \"(\"");
        }

        var items = ParseSelectList(ref c, nested: true);
        if (!c.TryConsume(')'))
        {
            throw c.Error($"unexpected \"{Describe(c)}\" expecting \",\" or \")\"");
        }

        c.Depth--;
        return new EmbedItem(relation, alias, hint, join, spread, items);
    }

    private static List<JsonPathStep> ParseJsonPath(ref Cursor c, bool stopAtDot)
    {
        var path = new List<JsonPathStep>();
        while (c.Peek == '-' && c.PeekAt(1) == '>')
        {
            c.Advance(2);
            var asText = c.TryConsume('>');
            var key = c.Peek == '"' ? ReadQuoted(ref c) : ReadPlain(ref c, stopAtDot, "key");
            path.Add(new JsonPathStep(key, asText));
        }

        return path;
    }

    private static string ReadName(ref Cursor c, string expected)
    {
        if (c.Peek == '"')
        {
            return ReadQuoted(ref c);
        }

        return ReadPlain(ref c, stopAtDot: true, expected);
    }

    private static string ReadPlain(ref Cursor c, bool stopAtDot, string expected)
    {
        var start = c.Position;
        while (!c.AtEnd)
        {
            var ch = c.Peek;
            if (ch is ',' or '(' or ')' or ':' or '!' or '"' || (stopAtDot && ch == '.')
                || (ch == '-' && c.PeekAt(1) == '>'))
            {
                break;
            }

            c.Advance();
        }

        var name = c.Slice(start).Trim();
        if (name.Length == 0)
        {
            c.Position = start;
            throw c.Error($"unexpected \"{Describe(c)}\" expecting {expected}");
        }

        return name;
    }

    private static string ReadQuoted(ref Cursor c)
    {
        var open = c.Position;
        c.Advance();
        var sb = new StringBuilder();
        while (true)
        {
            if (c.AtEnd)
            {
                c.Position = open;
                throw c.Error("unexpected end of input expecting closing quote '\"'");
            }

            var ch = c.Peek;
            c.Advance();
            if (ch == '\\' && !c.AtEnd && (c.Peek == '"' || c.Peek == '\\'))
            {
                sb.Append(c.Peek);
                c.Advance();
            }
            else if (ch == '"')
            {
                return sb.ToString();
            }
            else
            {
                sb.Append(ch);
            }
        }
    }

    private static string Describe(Cursor c) => c.AtEnd ? "end of input" : c.Peek.ToString();

    private struct Cursor(string text, string what)
    {
        public int Position = 0;

        public int Depth = 0;

        public int Embeds = 0;

        public readonly bool AtEnd => Position >= text.Length;

        public readonly char Peek => Position < text.Length ? text[Position] : '\0';

        public readonly string Rest => text[Position..];

        public readonly char PeekAt(int offset) => Position + offset < text.Length ? text[Position + offset] : '\0';

        public void Advance(int n = 1) => Position = Math.Min(text.Length, Position + n);

        public bool TryConsume(char ch)
        {
            if (Peek == ch && !AtEnd)
            {
                Position++;
                return true;
            }

            return false;
        }

        public bool TryConsume(string s)
        {
            if (string.CompareOrdinal(text, Position, s, 0, s.Length) == 0 && Position + s.Length <= text.Length)
            {
                Position += s.Length;
                return true;
            }

            return false;
        }

        public readonly string Slice(int start) => text[start..Position];

        public string TakeRest()
        {
            var r = text[Position..];
            Position = text.Length;
            return r;
        }

        public readonly RestException Error(string details) => RestException.Parse(what, text, Position, details);
    }
}
