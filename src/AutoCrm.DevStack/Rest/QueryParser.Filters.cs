namespace AutoCrm.DevStack.Rest;

/// <summary>Filters (<c>column=op.value</c>) and the <c>or=</c>/<c>and=</c> logic trees.</summary>
internal static partial class QueryParser
{
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
}
