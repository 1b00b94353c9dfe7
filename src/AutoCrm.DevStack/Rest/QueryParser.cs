using System.Text;

namespace AutoCrm.DevStack.Rest;

/// <summary>
/// Parses PostgREST's query-string grammar (docs/protocols.md#query-string-grammar) into the AST. Every failure is a
/// <see cref="RestException"/> with code PGRST100 and the position of the offending character.
/// </summary>
internal static class QueryParser
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

    // ---------------- filters ----------------

    /// <summary>Parses a column key (<c>col</c>, <c>"a.b"</c>, <c>data-&gt;&gt;k</c>) after its embed path was removed.</summary>
    public static FieldRef ParseFieldKey(string key)
    {
        var c = new Cursor(key, "filter");
        var name = ReadName(ref c, "field name");
        var path = ParseJsonPath(ref c, stopAtDot: false);
        if (!c.AtEnd)
        {
            throw c.Error($"unexpected \"{c.Peek}\" expecting end of input");
        }

        return new FieldRef(name, path);
    }

    /// <summary>Parses the value of a filter key: <c>[not.]op.value</c>.</summary>
    public static FilterCondition ParseFilterValue(FieldRef field, string value)
    {
        var c = new Cursor(value, "filter");
        var negated = c.TryConsume("not.");
        var op = ParseOperation(ref c, inTree: false);
        return new FilterCondition(field, negated, op);
    }

    private static Operation ParseOperation(ref Cursor c, bool inTree)
    {
        var start = c.Position;
        while (!c.AtEnd && char.IsAsciiLetterLower(c.Peek))
        {
            c.Advance();
        }

        var op = c.Slice(start);
        if (op == "not" && inTree)
        {
            c.Position = start;
            throw c.Error($"unexpected \"{Describe(c)}\" expecting operator (eq, gt, ...)");
        }

        if (op == "in")
        {
            Expect(ref c, '.', start);
            var list = ParseInList(ref c);
            return new InOperation(list);
        }

        if (op == "is")
        {
            Expect(ref c, '.', start);
            var valueStart = c.Position;
            var raw = inTree ? ReadTreeValue(ref c) : c.TakeRest();
            var v = raw.ToLowerInvariant();
            if (v is not ("null" or "not_null" or "true" or "false" or "unknown"))
            {
                c.Position = valueStart;
                throw c.Error($"unexpected \"{Describe(c)}\" expecting null or trilean value (unknown, true, false)");
            }

            return new IsOperation(v);
        }

        if (FtsOperators.Contains(op))
        {
            string? config = null;
            if (c.TryConsume('('))
            {
                var cfgStart = c.Position;
                while (!c.AtEnd && c.Peek != ')')
                {
                    c.Advance();
                }

                config = c.Slice(cfgStart);
                if (!c.TryConsume(')') || config.Length == 0)
                {
                    throw c.Error($"unexpected \"{Describe(c)}\" expecting \")\"");
                }
            }

            Expect(ref c, '.', start);
            return new FtsOperation(op, config, inTree ? ReadTreeValue(ref c) : c.TakeRest());
        }

        if (SimpleOperators.Contains(op))
        {
            var quantifier = Quantifier.None;
            if (c.Peek == '(' && QuantifiableOperators.Contains(op))
            {
                if (c.TryConsume("(any)"))
                {
                    quantifier = Quantifier.Any;
                }
                else if (c.TryConsume("(all)"))
                {
                    quantifier = Quantifier.All;
                }
                else
                {
                    c.Advance();
                    throw c.Error($"unexpected \"{Describe(c)}\" expecting \"any\" or \"all\"");
                }
            }

            Expect(ref c, '.', start);
            return new SimpleOperation(op, quantifier, inTree ? ReadTreeValue(ref c) : c.TakeRest());
        }

        c.Position = start;
        throw c.Error($"unexpected \"{Describe(c)}\" {OperatorExpectation}");
    }

    private static void Expect(ref Cursor c, char ch, int opStart)
    {
        if (!c.TryConsume(ch))
        {
            if (c.AtEnd || c.Position == opStart)
            {
                throw c.Error($"unexpected \"{Describe(c)}\" expecting \"{ch}\"");
            }

            throw c.Error($"unexpected \"{Describe(c)}\" expecting \"{ch}\"");
        }
    }

    private static List<string> ParseInList(ref Cursor c)
    {
        if (!c.TryConsume('('))
        {
            throw c.Error($"unexpected \"{Describe(c)}\" expecting \"(\"");
        }

        var values = new List<string>();
        if (c.TryConsume(')'))
        {
            return values;
        }

        while (true)
        {
            if (c.Peek == '"')
            {
                values.Add(ReadQuoted(ref c));
            }
            else
            {
                var start = c.Position;
                while (!c.AtEnd && c.Peek != ',' && c.Peek != ')')
                {
                    c.Advance();
                }

                values.Add(c.Slice(start).Trim());
            }

            if (c.TryConsume(','))
            {
                continue;
            }

            if (c.TryConsume(')'))
            {
                return values;
            }

            throw c.Error($"unexpected \"{Describe(c)}\" expecting \",\" or \")\"");
        }
    }

    /// <summary>A value inside a logic tree: quoted, a <c>{…}</c> array literal, or up to the next ',' or ')'.</summary>
    private static string ReadTreeValue(ref Cursor c)
    {
        if (c.Peek == '"')
        {
            var v = ReadQuoted(ref c);
            if (!c.AtEnd && c.Peek != ',' && c.Peek != ')')
            {
                throw c.Error($"unexpected \"{c.Peek}\" expecting \",\" or \")\"");
            }

            return v;
        }

        var start = c.Position;
        var braces = 0;
        while (!c.AtEnd)
        {
            var ch = c.Peek;
            if (ch == '{')
            {
                braces++;
            }
            else if (ch == '}' && braces > 0)
            {
                braces--;
            }
            else if (braces == 0 && (ch == ',' || ch == ')'))
            {
                break;
            }

            c.Advance();
        }

        return c.Slice(start);
    }

    // ---------------- logic trees ----------------

    /// <summary>Parses the value of an <c>or</c>/<c>and</c> key: <c>(a.eq.1,and(b.eq.2,c.eq.3))</c>.</summary>
    public static LogicCondition ParseLogicTree(bool isOr, bool negated, string value)
    {
        var c = new Cursor(value, "logic tree");
        var children = ParseTreeBody(ref c);
        if (!c.AtEnd)
        {
            throw c.Error($"unexpected \"{c.Peek}\" expecting end of input");
        }

        return new LogicCondition(isOr, negated, children);
    }

    private static List<Condition> ParseTreeBody(ref Cursor c)
    {
        if (++c.Depth > MaxDepth)
        {
            throw c.Error($"nesting deeper than {MaxDepth} levels");
        }

        if (!c.TryConsume('('))
        {
            throw c.Error($"unexpected \"{Describe(c)}\" expecting \"(\"");
        }

        var children = new List<Condition>();
        while (true)
        {
            children.Add(ParseTreeTerm(ref c));
            if (c.TryConsume(','))
            {
                continue;
            }

            if (c.TryConsume(')'))
            {
                c.Depth--;
                return children;
            }

            throw c.Error($"unexpected \"{Describe(c)}\" expecting \",\" or \")\"");
        }
    }

    private static Condition ParseTreeTerm(ref Cursor c)
    {
        var save = c.Position;
        var negated = c.TryConsume("not.");
        if (c.TryConsume("or("))
        {
            c.Position -= 1;
            return new LogicCondition(true, negated, ParseTreeBody(ref c));
        }

        if (c.TryConsume("and("))
        {
            c.Position -= 1;
            return new LogicCondition(false, negated, ParseTreeBody(ref c));
        }

        c.Position = save;
        var name = ReadName(ref c, "field name (* or [a..z0..9_$])");
        var path = ParseJsonPath(ref c, stopAtDot: true);
        if (!c.TryConsume('.'))
        {
            throw c.Error($"unexpected \"{Describe(c)}\" expecting \".\"");
        }

        var fieldNegated = c.TryConsume("not.");
        var op = ParseOperation(ref c, inTree: true);
        return new FilterCondition(new FieldRef(name, path), fieldNegated, op);
    }

    // ---------------- order ----------------

    public static IReadOnlyList<OrderTerm> ParseOrder(string input)
    {
        var c = new Cursor(input, "order");
        var terms = new List<OrderTerm>();
        while (true)
        {
            var name = ReadName(ref c, "field name");
            string? relation = null;
            if (c.TryConsume('('))
            {
                relation = name;
                name = ReadName(ref c, "field name");
                if (!c.TryConsume(')'))
                {
                    throw c.Error($"unexpected \"{Describe(c)}\" expecting \")\"");
                }
            }

            var path = ParseJsonPath(ref c, stopAtDot: true);
            var descending = false;
            bool? nullsFirst = null;
            if (c.TryConsume(".asc"))
            {
            }
            else if (c.TryConsume(".desc"))
            {
                descending = true;
            }

            if (c.TryConsume(".nullsfirst"))
            {
                nullsFirst = true;
            }
            else if (c.TryConsume(".nullslast"))
            {
                nullsFirst = false;
            }

            terms.Add(new OrderTerm(new FieldRef(name, path), relation, descending, nullsFirst));
            if (c.AtEnd)
            {
                return terms;
            }

            if (!c.TryConsume(','))
            {
                throw c.Error($"unexpected \"{c.Peek}\" expecting \",\", \"asc\", \"desc\", \"nullsfirst\" or \"nullslast\"");
            }
        }
    }

    // ---------------- columns / on_conflict / limit ----------------

    public static IReadOnlyList<string> ParseColumnList(string input, string what)
    {
        var c = new Cursor(input, what);
        var names = new List<string>();
        while (true)
        {
            names.Add(ReadName(ref c, "column name"));
            if (c.AtEnd)
            {
                return names;
            }

            if (!c.TryConsume(','))
            {
                throw c.Error($"unexpected \"{c.Peek}\" expecting \",\"");
            }
        }
    }

    public static long ParseNonNegative(string input, string what)
    {
        if (long.TryParse(input, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        var pos = 0;
        while (pos < input.Length && char.IsAsciiDigit(input[pos]))
        {
            pos++;
        }

        var unexpected = pos < input.Length ? input[pos].ToString() : "end of input";
        throw RestException.Parse(what, input, pos, $"unexpected \"{unexpected}\" expecting digit");
    }

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
