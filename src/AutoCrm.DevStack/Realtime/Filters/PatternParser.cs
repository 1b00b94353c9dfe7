using System.Globalization;

namespace AutoCrm.DevStack.Realtime.Filters;

/// <summary>A node of a parsed pattern (before compilation to a <see cref="LinearPattern"/> program).</summary>
internal abstract record PatternNode;

/// <summary>One character matching a set (a literal is a one-character set).</summary>
internal sealed record CharNode(CharSet Set) : PatternNode;

/// <summary><c>^</c> (start of the text) or <c>$</c> (end of the text).</summary>
internal sealed record AnchorNode(bool Start) : PatternNode;

internal sealed record SequenceNode(IReadOnlyList<PatternNode> Items) : PatternNode;

internal sealed record AlternationNode(IReadOnlyList<PatternNode> Options) : PatternNode;

/// <summary><c>Node{Min,Max}</c>; <c>Max</c> null = unbounded.</summary>
internal sealed record RepeatNode(PatternNode Node, int Min, int? Max) : PatternNode;

/// <summary>
/// Parses the regular expressions of Realtime's <c>match</c>/<c>imatch</c> filters (PostgreSQL's <c>~</c>/<c>~*</c>) and the
/// patterns of <c>like</c>/<c>ilike</c>. The regular-expression subset is what a finite automaton can run: literals and
/// escapes, <c>.</c>, bracket expressions (ranges, <c>[:alpha:]</c>-style classes, negation), <c>\d \w \s</c> and their
/// negations, <c>^</c>, <c>$</c>, groups (<c>( )</c>, <c>(?: )</c>), alternation and the quantifiers <c>* + ? {m} {m,} {m,n}</c>
/// (a trailing <c>?</c> for non-greedy is accepted; it does not change whether a text matches). Back-references, lookaround
/// and word-boundary escapes need backtracking and are refused with a message.
/// </summary>
internal sealed class PatternParser
{
    /// <summary>The largest count a <c>{m,n}</c> quantifier may use (PostgreSQL's own limit, RE_DUPMAX).</summary>
    public const int MaxRepeat = 255;

    private readonly string _text;
    private int _pos;

    private PatternParser(string text) => _text = text;

    /// <summary>Parses a regular expression; throws <see cref="FormatException"/> with a message for the client.</summary>
    public static PatternNode ParseRegex(string pattern)
    {
        var parser = new PatternParser(pattern);
        var node = parser.ParseAlternation();
        if (parser._pos < pattern.Length)
        {
            throw new FormatException($"unmatched ')' at position {parser._pos + 1}");
        }

        return node;
    }

    /// <summary>An SQL LIKE pattern: <c>%</c> any run, <c>_</c> one character, backslash escapes the next; anchored at both ends.</summary>
    public static PatternNode ParseLike(string pattern)
    {
        var items = new List<PatternNode> { new AnchorNode(Start: true) };
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                items.Add(new CharNode(CharSet.Literal(pattern[++i])));
            }
            else if (c == '%')
            {
                items.Add(new RepeatNode(new CharNode(CharSet.Any), 0, null));
            }
            else
            {
                items.Add(new CharNode(c == '_' ? CharSet.Any : CharSet.Literal(c)));
            }
        }

        items.Add(new AnchorNode(Start: false));
        return new SequenceNode(items);
    }

    private bool AtEnd => _pos >= _text.Length;

    private char Peek => _text[_pos];

    private PatternNode ParseAlternation()
    {
        var options = new List<PatternNode> { ParseSequence() };
        while (!AtEnd && Peek == '|')
        {
            _pos++;
            options.Add(ParseSequence());
        }

        return options.Count == 1 ? options[0] : new AlternationNode(options);
    }

    private PatternNode ParseSequence()
    {
        var items = new List<PatternNode>();
        while (!AtEnd && Peek is not ('|' or ')'))
        {
            var atom = ParseAtom();
            items.Add(ParseQuantifiers(atom));
        }

        return items.Count == 1 ? items[0] : new SequenceNode(items);
    }

    private PatternNode ParseQuantifiers(PatternNode atom)
    {
        while (!AtEnd)
        {
            int min;
            int? max;
            switch (Peek)
            {
                case '*':
                    (min, max) = (0, null);
                    _pos++;
                    break;
                case '+':
                    (min, max) = (1, null);
                    _pos++;
                    break;
                case '?':
                    (min, max) = (0, 1);
                    _pos++;
                    break;
                case '{' when TryParseBounds(out min, out max):
                    break;
                default:
                    return atom;
            }

            if (atom is AnchorNode)
            {
                throw new FormatException("a quantifier cannot follow ^ or $");
            }

            if (!AtEnd && Peek == '?')
            {
                _pos++; // non-greedy: the same texts match
            }

            atom = new RepeatNode(atom, min, max);
        }

        return atom;
    }

    private bool TryParseBounds(out int min, out int? max)
    {
        min = 0;
        max = null;
        var close = _text.IndexOf('}', _pos);
        if (close < 0)
        {
            return false;
        }

        var body = _text.AsSpan(_pos + 1, close - _pos - 1);
        var comma = body.IndexOf(',');
        var low = comma < 0 ? body : body[..comma];
        if (!int.TryParse(low, NumberStyles.None, CultureInfo.InvariantCulture, out min))
        {
            throw new FormatException($"invalid repetition count at position {_pos + 1}");
        }

        if (comma < 0)
        {
            max = min;
        }
        else if (comma < body.Length - 1)
        {
            if (!int.TryParse(body[(comma + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var high) || high < min)
            {
                throw new FormatException($"invalid repetition count at position {_pos + 1}");
            }

            max = high;
        }

        if (min > MaxRepeat || max > MaxRepeat)
        {
            throw new FormatException($"invalid repetition count(s): at most {MaxRepeat}");
        }

        _pos = close + 1;
        return true;
    }

    private PatternNode ParseAtom()
    {
        var c = Peek;
        _pos++;
        switch (c)
        {
            case '(':
                if (!AtEnd && Peek == '?')
                {
                    if (_pos + 1 < _text.Length && _text[_pos + 1] == ':')
                    {
                        _pos += 2;
                    }
                    else
                    {
                        throw new FormatException("lookahead, lookbehind and embedded options ((?...)) are not supported");
                    }
                }

                var inner = ParseAlternation();
                if (AtEnd || Peek != ')')
                {
                    throw new FormatException("parentheses () not balanced");
                }

                _pos++;
                return inner;
            case ')':
                throw new FormatException("parentheses () not balanced");
            case '[':
                return new CharNode(ParseBracket());
            case '.':
                return new CharNode(CharSet.Any);
            case '^':
                return new AnchorNode(Start: true);
            case '$':
                return new AnchorNode(Start: false);
            case '*' or '+' or '?':
                throw new FormatException($"quantifier operand invalid at position {_pos}");
            case '\\':
                return new CharNode(ParseEscape(inBracket: false));
            default:
                return new CharNode(CharSet.Literal(c));
        }
    }

    private CharSet ParseEscape(bool inBracket)
    {
        if (AtEnd)
        {
            throw new FormatException("invalid escape \\ at the end of the pattern");
        }

        var c = Peek;
        _pos++;
        switch (c)
        {
            case 'd':
                return CharSet.Digit;
            case 'D':
                return CharSet.Digit.Negate();
            case 'w':
                return CharSet.Word;
            case 'W':
                return CharSet.Word.Negate();
            case 's':
                return CharSet.Space;
            case 'S':
                return CharSet.Space.Negate();
            case 'n':
                return CharSet.Literal('\n');
            case 't':
                return CharSet.Literal('\t');
            case 'r':
                return CharSet.Literal('\r');
            case 'f':
                return CharSet.Literal('\f');
            case 'v':
                return CharSet.Literal('\v');
            default:
                if (char.IsAsciiLetterOrDigit(c))
                {
                    throw new FormatException(inBracket
                        ? $"invalid escape \\{c} in a bracket expression"
                        : $"escape \\{c} is not supported (back-references and word boundaries need backtracking)");
                }

                return CharSet.Literal(c);
        }
    }

    private CharSet ParseBracket()
    {
        var negated = false;
        if (!AtEnd && Peek == '^')
        {
            negated = true;
            _pos++;
        }

        var set = CharSet.Empty;
        var first = true;
        while (true)
        {
            if (AtEnd)
            {
                throw new FormatException("brackets [] not balanced");
            }

            var c = Peek;
            if (c == ']' && !first)
            {
                _pos++;
                break;
            }

            first = false;
            if (c == '[' && _pos + 1 < _text.Length && _text[_pos + 1] == ':')
            {
                var end = _text.IndexOf(":]", _pos + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new FormatException("brackets [] not balanced");
                }

                set = set.Union(CharSet.Named(_text[(_pos + 2)..end]));
                _pos = end + 2;
                continue;
            }

            CharSet item;
            char low;
            _pos++;
            if (c == '\\')
            {
                item = ParseEscape(inBracket: true);
                if (!item.IsSingle(out low))
                {
                    set = set.Union(item);
                    continue;
                }
            }
            else
            {
                low = c;
            }

            if (_pos + 1 < _text.Length && Peek == '-' && _text[_pos + 1] != ']')
            {
                _pos++;
                var high = Peek;
                _pos++;
                if (high == '\\')
                {
                    if (!ParseEscape(inBracket: true).IsSingle(out high))
                    {
                        throw new FormatException("invalid range end in a bracket expression");
                    }
                }

                if (high < low)
                {
                    throw new FormatException($"invalid character range {low}-{high}");
                }

                set = set.Union(CharSet.Range(low, high));
            }
            else
            {
                set = set.Union(CharSet.Literal(low));
            }
        }

        return negated ? set.Negate() : set;
    }
}
