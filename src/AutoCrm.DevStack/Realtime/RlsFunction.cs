using System.Runtime.CompilerServices;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoCrm.DevStack.Realtime;

/// <summary>
/// The session-temporary PL/pgSQL function that checks one table's changed rows for many (role, claims) groups in
/// one statement. For each group it sets <c>role</c>, <c>request.jwt.claims</c>, <c>request.jwt.claim.sub</c> and
/// <c>request.jwt.claim.role</c> (transaction-local, so they end with the statement's implicit transaction) and
/// returns the primary keys of that group's rows the role can select, so row-level security decides. The static
/// query's plan is cached by PL/pgSQL for the session and re-planned by PostgreSQL when the role changes.
/// </summary>
/// <remarks>
/// Arguments: roles text[], claims text[], subs text[], the 1-based group of each key int[], then one text[] per
/// primary-key column (cast to the column's type inside). Result: (rls_group int, rls_key text) where rls_key is
/// the key's columns as text joined by U+0001 (as <c>RlsCheck.KeyOf</c>). Every table column is qualified, and
/// variables win name conflicts, so no column name can capture a variable.
/// </remarks>
internal sealed class RlsFunction
{
    private static readonly ConditionalWeakTable<RelationInfo, RlsFunction> Cache = [];

    private RlsFunction(string name, string createSql, string callSql)
    {
        Name = name;
        CreateSql = createSql;
        CallSql = callSql;
    }

    /// <summary>The function's name in <c>pg_temp</c> (it changes when the table's key changes).</summary>
    public string Name { get; }

    /// <summary><c>create or replace function pg_temp.…</c>.</summary>
    public string CreateSql { get; }

    /// <summary>The call, with <c>$1…</c> parameters as described in the remarks.</summary>
    public string CallSql { get; }

    public static RlsFunction For(RelationInfo relation) => Cache.GetValue(relation, Build);

    private static RlsFunction Build(RelationInfo relation)
    {
        var pk = relation.PrimaryKey;
        var columns = pk.Select(i => relation.Columns[i]).ToArray();
        var keyText = columns.Length == 1
            ? $"t.{Quote(columns[0].Name)}::text"
            : "concat_ws(E'\\u0001', " + string.Join(", ", columns.Select(c => $"t.{Quote(c.Name)}::text")) + ")";
        var tuple = string.Join(", ", columns.Select(c => "t." + Quote(c.Name)));
        var unnestArgs = string.Join(", ", columns.Select((c, n) => $"${n + 5}::{c.Type.SqlName}[]"));
        var unnestColumns = string.Join(", ", columns.Select((_, n) => "u.rls_k" + n.ToString(CultureInfo.InvariantCulture)));
        var unnestAlias = string.Join(", ", columns.Select((_, n) => "rls_k" + n.ToString(CultureInfo.InvariantCulture)));
        var parameters = string.Join(", ", new[] { "text[]", "text[]", "text[]", "int[]" }.Concat(columns.Select(_ => "text[]")));

        var body = $"""
            #variable_conflict use_variable
            declare
              rls_i int;
            begin
              for rls_i in 1 .. coalesce(array_length($1, 1), 0) loop
                perform set_config('role', $1[rls_i], true),
                        set_config('request.jwt.claims', $2[rls_i], true),
                        set_config('request.jwt.claim.sub', $3[rls_i], true),
                        set_config('request.jwt.claim.role', $1[rls_i], true);
                return query
                  select rls_i, {keyText}
                  from {Quote(relation.Schema)}.{Quote(relation.Table)} t
                  where ({tuple}) in (
                    select {unnestColumns}
                    from unnest($4, {unnestArgs}) as u(rls_g, {unnestAlias})
                    where u.rls_g = rls_i);
              end loop;
              perform set_config('role', 'none', true);
            end
            """;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(parameters + body)))[..12];
        var name = $"autocrm_rls_{relation.Oid.ToString(CultureInfo.InvariantCulture)}_{hash}";
        var create = $"create or replace function pg_temp.{name}({parameters}) returns table (rls_group int, rls_key text) language plpgsql as $rls$\n{body}\n$rls$";
        var args = string.Join(", ", Enumerable.Range(1, 4 + columns.Length).Select(n => "$" + n.ToString(CultureInfo.InvariantCulture)));
        var call = $"select rls_group, rls_key from pg_temp.{name}({args})";
        return new RlsFunction(name, create, call);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
