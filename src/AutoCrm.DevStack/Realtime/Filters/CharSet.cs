namespace AutoCrm.DevStack.Realtime.Filters;

/// <summary>The characters one pattern position accepts: a literal, a range, a class, a union or a negation of them.</summary>
internal abstract class CharSet
{
    public static CharSet Any { get; } = new AnySet();

    public static CharSet Empty { get; } = new UnionSet([]);

    public static CharSet Digit { get; } = new ClassSet("digit", char.IsAsciiDigit);

    public static CharSet Word { get; } = new ClassSet("word", c => char.IsLetterOrDigit(c) || c == '_');

    public static CharSet Space { get; } = new ClassSet("space", char.IsWhiteSpace);

    public static CharSet Literal(char c) => new LiteralSet(c);

    public static CharSet Range(char low, char high) => new RangeSet(low, high);

    /// <summary>A POSIX class of a bracket expression, e.g. <c>alpha</c> in <c>[[:alpha:]]</c>.</summary>
    public static CharSet Named(string name) => name switch
    {
        "alpha" => new ClassSet(name, char.IsLetter),
        "digit" => Digit,
        "alnum" => new ClassSet(name, char.IsLetterOrDigit),
        "upper" => new ClassSet(name, char.IsUpper),
        "lower" => new ClassSet(name, char.IsLower),
        "space" => Space,
        "blank" => new ClassSet(name, c => c is ' ' or '\t'),
        "punct" => new ClassSet(name, char.IsPunctuation),
        "xdigit" => new ClassSet(name, char.IsAsciiHexDigit),
        "word" => Word,
        "cntrl" => new ClassSet(name, char.IsControl),
        "print" => new ClassSet(name, c => !char.IsControl(c)),
        "graph" => new ClassSet(name, c => !char.IsControl(c) && !char.IsWhiteSpace(c)),
        _ => throw new FormatException($"invalid character class [:{name}:]"),
    };

    public CharSet Union(CharSet other) => this is UnionSet { Items.Count: 0 } ? other : new UnionSet([this, other]);

    public CharSet Negate() => new NotSet(this);

    public virtual bool IsSingle(out char c)
    {
        c = default;
        return false;
    }

    /// <summary>Whether <paramref name="c"/> is in the set; with <paramref name="ignoreCase"/> also its other cases.</summary>
    public virtual bool Matches(char c, bool ignoreCase)
    {
        if (Contains(c))
        {
            return true;
        }

        if (!ignoreCase)
        {
            return false;
        }

        var lower = char.ToLowerInvariant(c);
        var upper = char.ToUpperInvariant(c);
        return (lower != c && Contains(lower)) || (upper != c && Contains(upper));
    }

    protected abstract bool Contains(char c);

    private sealed class AnySet : CharSet
    {
        protected override bool Contains(char c) => true;
    }

    private sealed class LiteralSet(char value) : CharSet
    {
        public override bool IsSingle(out char c)
        {
            c = value;
            return true;
        }

        protected override bool Contains(char c) => c == value;
    }

    private sealed class RangeSet(char low, char high) : CharSet
    {
        protected override bool Contains(char c) => c >= low && c <= high;
    }

    private sealed class ClassSet(string name, Func<char, bool> test) : CharSet
    {
        public string Name { get; } = name;

        protected override bool Contains(char c) => test(c);
    }

    private sealed class UnionSet(IReadOnlyList<CharSet> items) : CharSet
    {
        public IReadOnlyList<CharSet> Items { get; } = items;

        public override bool Matches(char c, bool ignoreCase)
        {
            foreach (var item in Items)
            {
                if (item.Matches(c, ignoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        protected override bool Contains(char c) => Matches(c, ignoreCase: false);
    }

    /// <summary>A negated set: with ignoreCase a character is excluded when any of its cases is in the inner set.</summary>
    private sealed class NotSet(CharSet inner) : CharSet
    {
        public override bool Matches(char c, bool ignoreCase) => !inner.Matches(c, ignoreCase);

        protected override bool Contains(char c) => !inner.Matches(c, ignoreCase: false);
    }
}
