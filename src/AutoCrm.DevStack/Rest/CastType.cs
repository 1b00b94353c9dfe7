using System.Collections.Frozen;
using System.Text;

namespace AutoCrm.DevStack.Rest;

/// <summary>
/// The type name after <c>::</c> in <c>select=</c>. PostgREST reads letters, digits, <c>_</c>, <c>$</c> and spaces
/// there and writes them into <c>CAST(… AS type)</c>; here the text must also be a type name, so no request can give
/// the statement another shape: one identifier (written as a quoted, lower-cased identifier, which is how PostgreSQL
/// reads an unquoted one) or one of SQL's keyword type names (written from the table below, never from the request).
/// </summary>
internal static class CastType
{
    /// <summary>SQL's type names that are keywords rather than catalog names (<c>int</c> is <c>int4</c>, <c>char</c> is <c>bpchar</c>).</summary>
    private static readonly FrozenSet<string> KeywordTypes = new[]
    {
        "int", "integer", "smallint", "bigint", "real", "float", "double precision", "decimal", "dec", "numeric", "boolean",
        "bit", "bit varying", "character", "char", "character varying", "char varying", "varchar",
        "national character", "national char", "national character varying", "national char varying", "nchar", "nchar varying",
        "timestamp", "timestamp with time zone", "timestamp without time zone", "time", "time with time zone", "time without time zone",
        "interval", "interval year", "interval month", "interval day", "interval hour", "interval minute", "interval second",
        "interval year to month", "interval day to hour", "interval day to minute", "interval day to second",
        "interval hour to minute", "interval hour to second", "interval minute to second",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="c"/> may appear in the cast text (PostgREST's identifier characters).</summary>
    public static bool IsCastChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' or ' ';

    /// <summary>
    /// The canonical spelling of a cast (lower case, single spaces) when <paramref name="text"/> names a type:
    /// one identifier <c>[a-z_][a-z0-9_$]*</c> or a keyword type name; otherwise null.
    /// </summary>
    public static string? Normalize(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return null;
        }

        foreach (var word in words)
        {
            if (!IsIdentifier(word))
            {
                return null;
            }
        }

        var canonical = string.Join(' ', words).ToLowerInvariant();
        return words.Length == 1 || KeywordTypes.Contains(canonical) ? canonical : null;
    }

    /// <summary>
    /// <c>CAST(<paramref name="expression"/> AS type)</c> for a canonical cast from <see cref="Normalize"/>; anything
    /// else is refused here as well, so a type name that did not come through the grammar never reaches SQL.
    /// </summary>
    public static string Apply(string expression, string canonical)
    {
        if (Normalize(canonical) != canonical)
        {
            throw new RestException(400, "PGRST100", $"\"failed to parse select parameter\" invalid cast type '{canonical}'");
        }

        var type = KeywordTypes.Contains(canonical) ? canonical : SqlParameters.Ident(canonical);
        return new StringBuilder("CAST(").Append(expression).Append(" AS ").Append(type).Append(')').ToString();
    }

    private static bool IsIdentifier(string word)
    {
        if (!(char.IsAsciiLetter(word[0]) || word[0] == '_'))
        {
            return false;
        }

        foreach (var c in word)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '$'))
            {
                return false;
            }
        }

        return true;
    }
}
