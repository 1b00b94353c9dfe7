using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace AutoCrm.DevStack.Rest;

/// <summary>Collects the positional parameters of one statement; every user value goes through here.</summary>
internal sealed class SqlParameters
{
    public List<NpgsqlParameter> Items { get; } = [];

    /// <summary>A value sent with no type, so PostgreSQL infers it from context like a quoted literal.</summary>
    public string Unknown(string value) => Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Unknown });

    public string Text(string value) => Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Text });

    public string Integer(int value) => Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Integer });

    public string BigInt(long value) => Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Bigint });

    public string Bytea(byte[] value) => Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Bytea });

    public string Json(string value) => Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Json });

    private string Add(NpgsqlParameter parameter)
    {
        Items.Add(parameter);
        return "$" + Items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A quoted identifier. PostgreSQL's protocol ends the statement text at a NUL, so (as PostgREST does) the name
    /// ends at its first NUL: a NUL in an alias can neither cut the statement short nor break the message.
    /// </summary>
    public static string Ident(string name)
    {
        var nul = name.IndexOf('\0', StringComparison.Ordinal);
        var kept = nul < 0 ? name : name[..nul];
        return "\"" + kept.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    public static string Qualified(string schema, string name) => Ident(schema) + "." + Ident(name);

    /// <summary>A PostgreSQL array literal with every element double-quoted, e.g. <c>{"a","b c"}</c>.</summary>
    public static string ArrayLiteral(IEnumerable<string> values)
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var v in values)
        {
            if (!first)
            {
                sb.Append(',');
            }

            first = false;
            sb.Append('"');
            foreach (var ch in v)
            {
                if (ch is '"' or '\\')
                {
                    sb.Append('\\');
                }

                sb.Append(ch);
            }

            sb.Append('"');
        }

        return sb.Append('}').ToString();
    }
}
