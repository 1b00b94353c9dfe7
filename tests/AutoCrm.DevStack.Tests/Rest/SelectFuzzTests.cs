using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Rest;
using AutoCrm.DevStack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Rest;

/// <summary>
/// <c>select=</c> values generated from the grammar (and hostile mutations of them) sent through a real DevStack:
/// each request succeeds or gets a 4xx, and every statement it makes PostgreSQL run, read back from PostgreSQL's own
/// statement log, has the shape of a PostgREST read and nothing else.
/// </summary>
public sealed class SelectFuzzTests
{
    private const int Seed = 20261212;

    private const int Requests = 400;

    private const string SetupStatement =
        "SELECT set_config('transaction_read_only', 'on', true), set_config('search_path', $1, true), set_config('role', $2, true), " +
        "set_config('request.jwt.claims', $3, true), set_config('request.method', $4, true), set_config('request.path', $5, true), " +
        "set_config('request.headers', $6, true), set_config('request.cookies', $7, true), set_config('request.jwt.claim.sub', $8, true), " +
        "set_config('request.jwt.claim.role', $9, true), set_config('request.jwt.claim.email', $10, true)";

    private const string MainPrefix =
        "SELECT NULL::bigint AS pgrst_total, pg_catalog.count(_postgrest_t) AS pgrst_count, coalesce(json_agg(_postgrest_t), '[]')::text AS pgrst_body, " +
        "nullif(current_setting('response.headers', true), '') AS pgrst_headers, nullif(current_setting('response.status', true), '') AS pgrst_status FROM (SELECT ";

    private const string MainSuffix = ") _postgrest_t";

    /// <summary>The words the read builder writes (case-sensitive: request text cannot pass for them unquoted).</summary>
    private static readonly HashSet<string> Words = new(StringComparer.Ordinal)
    {
        "SELECT", "FROM", "AS", "CAST", "LEFT", "JOIN", "LATERAL", "ON", "TRUE", "WHERE", "AND", "IS", "NOT", "NULL", "LIMIT",
        "int", "body", "coalesce", "json_agg", "row_to_json",
        // keyword type names a cast may write
        "integer", "bigint", "smallint", "numeric", "double", "precision", "varchar", "character", "varying", "boolean",
        "timestamp", "with", "without", "time", "zone",
    };

    /// <summary>The setup statement, with the role's own settings (each a pair of parameters) after it.</summary>
    private static readonly Regex Setup = new("^" + Regex.Escape(SetupStatement) + @"(, set_config\(\$\d+, \$\d+, true\))*$", RegexOptions.CultureInvariant);

    private static readonly Regex Alias = new(@"^[tejo]\d+(_r)?$", RegexOptions.CultureInvariant);

    private static readonly string[] Punctuation = ["::", "->>", "->", "(", ")", ",", ".", "*", "="];

    [Fact]
    public async Task Generated_selects_succeed_or_get_a_4xx_and_reach_postgres_only_as_a_read_of_the_intended_shape()
    {
        var ct = TestContext.Current.CancellationToken;
        // A cluster of its own: its log holds only this DevStack's statements (errors of other tests' databases
        // would otherwise land in the same file).
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions(), ct);
        await PlatformBootstrap.ApplyAsync(cluster.ConnectionString, ct);
        await using (var admin = new NpgsqlConnection(cluster.ConnectionString))
        {
            await admin.OpenAsync(ct);
            await using var command = new NpgsqlCommand("ALTER ROLE authenticator SET log_statement = 'all'", admin);
            await command.ExecuteNonQueryAsync(ct);
        }

        await using var server = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = cluster.ConnectionString, Seed = false, EnforceAuthRateLimits = false }, ct);
        await using (var command = server.Services.GetRequiredService<DatabaseConnections>().Admin.CreateCommand(RestSchema.Sql))
        {
            await command.ExecuteNonQueryAsync(ct);
        }

        await server.Services.GetRequiredService<SchemaCache>().ReloadAsync(ct);
        using var client = new HttpClient { BaseAddress = new Uri(server.Url, "/rest/v1/") };
        client.DefaultRequestHeaders.Add("apikey", server.AnonKey);
        using var log = new StatementLog(cluster.LogFile!);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var grammar = new SelectGrammar(Seed);
        int succeeded = 0, refusedBeforeSql = 0, refusedByPostgres = 0;
        for (var i = 0; i < Requests; i++)
        {
            var (root, select) = grammar.Next();
            using var response = await client.GetAsync(root + "?select=" + Uri.EscapeDataString(select), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            var status = (int)response.StatusCode;
            var context = $"#{i} {root}?select={select} -> {status} {text}";
            // A statement that fails is logged twice (when it runs and beside its error), or once if it fails at parse.
            var statements = log.ReadNew().Where(s => s.Contains("_postgrest_t", StringComparison.Ordinal) || s.Contains("set_config(", StringComparison.Ordinal)).Distinct().ToList();
            var main = statements.Where(s => !Setup.IsMatch(s)).ToList();
            Assert.True(main.Count <= 1, context + "\n" + string.Join("\n", main));
            foreach (var statement in main)
            {
                CheckShape(statement, select, context);
            }

            if (response.IsSuccessStatusCode)
            {
                Assert.True(main.Count == 1, context);
                Assert.IsType<JsonArray>(JsonNode.Parse(text));
                succeeded++;
            }
            else
            {
                // PGRST201 (300) is PostgREST's answer to an embed that matches two relationships.
                Assert.True(status is >= 400 and < 500 || (status == 300 && text.Contains("PGRST201", StringComparison.Ordinal)), context);
                var code = JsonNode.Parse(text)!["code"]!.GetValue<string>();
                if (main.Count == 0)
                {
                    refusedBeforeSql++;
                }
                else
                {
                    Assert.False(code.StartsWith("PGRST", StringComparison.Ordinal), context);
                    refusedByPostgres++;
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"seed {Seed}: {succeeded} succeeded, {refusedBeforeSql} refused before SQL, {refusedByPostgres} refused by PostgreSQL in {started.Elapsed.TotalSeconds:F1} s");

        // The grammar must exercise all three outcomes, or this test could pass without checking anything.
        Assert.True(succeeded > Requests / 3, $"{succeeded} succeeded");
        Assert.True(refusedBeforeSql > Requests / 20, $"{refusedBeforeSql} refused before SQL");
        Assert.True(refusedByPostgres > 0, $"{refusedByPostgres} refused by PostgreSQL in {started.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>
    /// The statement is the read's fixed frame around a body made only of the builder's own words, table aliases,
    /// parameters, quoted names that come from the schema or the request, the literal <c>'[]'</c> and punctuation;
    /// parentheses balance and it has no more subqueries than the request has embeds.
    /// </summary>
    private static void CheckShape(string sql, string select, string context)
    {
        context += "\nSQL: " + sql;
        Assert.True(sql.StartsWith(MainPrefix, StringComparison.Ordinal), context);
        Assert.True(sql.EndsWith(MainSuffix, StringComparison.Ordinal), context);
        var body = sql[MainPrefix.Length..^MainSuffix.Length];
        var depth = 0;
        var selects = 1;
        var position = 0;
        while (position < body.Length)
        {
            var c = body[position];
            if (c == ' ')
            {
                position++;
            }
            else if (c == '"')
            {
                var name = new StringBuilder();
                position++;
                while (true)
                {
                    Assert.True(position < body.Length, "unterminated quoted name: " + context);
                    if (body[position] == '"')
                    {
                        if (position + 1 < body.Length && body[position + 1] == '"')
                        {
                            name.Append('"');
                            position += 2;
                            continue;
                        }

                        position++;
                        break;
                    }

                    name.Append(body[position++]);
                }

                var n = name.ToString();
                Assert.True(
                    SelectGrammar.SchemaNames.Contains(n) || n == "pgrst_empty" || Unescaped(select).Contains(n, StringComparison.OrdinalIgnoreCase),
                    $"quoted name \"{n}\" from neither the schema nor the request: {context}");
            }
            else if (c == '\'')
            {
                Assert.True(string.CompareOrdinal(body, position, "'[]'", 0, 4) == 0, "string literal: " + context);
                position += 4;
            }
            else if (c == '$')
            {
                var start = ++position;
                while (position < body.Length && char.IsAsciiDigit(body[position]))
                {
                    position++;
                }

                Assert.True(position > start, "bare $: " + context);
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = position;
                while (position < body.Length && (char.IsAsciiLetterOrDigit(body[position]) || body[position] == '_'))
                {
                    position++;
                }

                var word = body[start..position];
                Assert.True(Words.Contains(word) || Alias.IsMatch(word), $"word '{word}': {context}");
                if (word == "SELECT")
                {
                    selects++;
                }
            }
            else
            {
                var punctuation = Punctuation.FirstOrDefault(p => string.CompareOrdinal(body, position, p, 0, p.Length) == 0);
                Assert.True(punctuation is not null, $"character '{c}' at {position}: {context}");
                depth += punctuation == "(" ? 1 : punctuation == ")" ? -1 : 0;
                Assert.True(depth >= 0, "unbalanced ')': " + context);
                position += punctuation!.Length;
            }
        }

        Assert.True(depth == 0, "unbalanced '(': " + context);
        Assert.True(selects <= 1 + 2 * select.Count(ch => ch == '('), $"{selects} SELECTs for the embeds of the request: {context}");
    }

    /// <summary>The request's text with PostgREST's quoting escapes (<c>\"</c>, <c>\\</c>) undone, as names are read.</summary>
    private static string Unescaped(string select) => select.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}
