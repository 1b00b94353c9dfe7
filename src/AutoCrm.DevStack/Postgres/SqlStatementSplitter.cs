namespace AutoCrm.DevStack.Postgres;

/// <summary>One top-level statement of a SQL script and where it starts in the script.</summary>
internal readonly record struct SqlStatement(string Text, int Offset);

/// <summary>
/// Splits a SQL script into top-level statements the way psql and the Supabase CLI do: semicolons inside quotes,
/// quoted identifiers, dollar-quoted bodies, comments and <c>BEGIN ATOMIC … END</c> bodies do not split.
/// </summary>
internal static class SqlStatementSplitter
{
    public static IReadOnlyList<SqlStatement> Split(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        var statements = new List<SqlStatement>();
        var start = -1;      // first significant character of the current statement
        var atomicDepth = 0; // > 0 inside BEGIN ATOMIC
        string? previousWord = null;
        var i = 0;
        var n = script.Length;

        void Flush(int end)
        {
            if (start >= 0)
            {
                statements.Add(new SqlStatement(script[start..end].TrimEnd(), start));
            }

            start = -1;
            atomicDepth = 0;
            previousWord = null;
        }

        while (i < n)
        {
            var c = script[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c == '-' && i + 1 < n && script[i + 1] == '-')
            {
                var eol = script.IndexOf('\n', i);
                i = eol < 0 ? n : eol + 1;
                continue;
            }

            if (c == '/' && i + 1 < n && script[i + 1] == '*')
            {
                i = SkipBlockComment(script, i);
                continue;
            }

            if (c == ';' && atomicDepth == 0)
            {
                Flush(i);
                i++;
                continue;
            }

            if (start < 0)
            {
                start = i;
            }

            if (c == '\'')
            {
                var escapes = i > 0 && (script[i - 1] == 'E' || script[i - 1] == 'e') && (i < 2 || !IsIdentifierChar(script[i - 2]));
                i = SkipQuoted(script, i, '\'', escapes);
                previousWord = null;
                continue;
            }

            if (c == '"')
            {
                i = SkipQuoted(script, i, '"', backslashEscapes: false);
                previousWord = null;
                continue;
            }

            if (c == '$' && TryDollarTag(script, i, out var tag))
            {
                var close = script.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                i = close < 0 ? n : close + tag.Length;
                previousWord = null;
                continue;
            }

            if (IsIdentifierStart(c))
            {
                var wordStart = i;
                while (i < n && IsIdentifierChar(script[i]))
                {
                    i++;
                }

                var word = script[wordStart..i].ToLowerInvariant();
                if (atomicDepth == 0)
                {
                    if (word == "atomic" && previousWord == "begin")
                    {
                        atomicDepth = 1;
                    }
                }
                else if (word == "case")
                {
                    atomicDepth++;
                }
                else if (word == "end")
                {
                    atomicDepth--;
                }

                previousWord = word;
                continue;
            }

            i++;
        }

        Flush(n);
        return statements;
    }

    /// <summary>1-based line of the character at <paramref name="offset"/> in <paramref name="text"/>.</summary>
    public static int LineOf(string text, int offset)
    {
        var line = 1;
        var end = Math.Min(offset, text.Length);
        for (var k = 0; k < end; k++)
        {
            if (text[k] == '\n')
            {
                line++;
            }
        }

        return line;
    }

    private static int SkipBlockComment(string s, int i)
    {
        var depth = 0;
        while (i < s.Length)
        {
            if (s[i] == '/' && i + 1 < s.Length && s[i + 1] == '*')
            {
                depth++;
                i += 2;
            }
            else if (s[i] == '*' && i + 1 < s.Length && s[i + 1] == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    private static int SkipQuoted(string s, int i, char quote, bool backslashEscapes)
    {
        i++;
        while (i < s.Length)
        {
            var c = s[i];
            if (backslashEscapes && c == '\\')
            {
                i += 2;
                continue;
            }

            if (c == quote)
            {
                if (i + 1 < s.Length && s[i + 1] == quote)
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        return i;
    }

    private static bool TryDollarTag(string s, int i, out string tag)
    {
        tag = string.Empty;
        if (i > 0 && IsIdentifierChar(s[i - 1]))
        {
            return false; // part of an identifier such as a$b
        }

        var j = i + 1;
        if (j < s.Length && char.IsAsciiDigit(s[j]))
        {
            return false; // a positional parameter
        }

        while (j < s.Length && (char.IsLetterOrDigit(s[j]) || s[j] == '_'))
        {
            j++;
        }

        if (j < s.Length && s[j] == '$')
        {
            tag = s[i..(j + 1)];
            return true;
        }

        return false;
    }

    private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_';

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '$';
}
