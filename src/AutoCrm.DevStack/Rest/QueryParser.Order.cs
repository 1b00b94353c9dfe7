namespace AutoCrm.DevStack.Rest;

/// <summary><c>order=</c>, <c>columns=</c>, <c>on_conflict=</c> and the numeric parameters.</summary>
internal static partial class QueryParser
{
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
}
