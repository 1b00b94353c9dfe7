using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>
/// The per-request settings PostgREST gives a transaction (search path, role, JWT claims, method, path, headers,
/// cookies, the role's own settings, the time zone), as the one setup statement that precedes the main statement.
/// </summary>
internal sealed class RequestSettings(RestEnvironment environment)
{
    private const string SetupPrefix = "SELECT " + SetupPrefixList;

    private const string SetupPrefixList =
        "set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), " +
        "set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), " +
        "set_config('request.cookies', $7, true), set_config('request.jwt.claim.sub', $8, true), set_config('request.jwt.claim.role', $9, true), " +
        "set_config('request.jwt.claim.email', $10, true)";

    /// <summary>The setup of a read outside BEGIN: the implicit transaction turns read-only first.</summary>
    private const string ReadOnlySetupPrefix = "SELECT set_config('transaction_read_only', 'on', true), " + SetupPrefixList;

    /// <summary>
    /// The setup statement of a request; <paramref name="inlineReadOnly"/> makes it also turn the (implicit)
    /// transaction read-only.
    /// </summary>
    public NpgsqlBatchCommand Command(HttpContext http, string schema, string role, RequestClaims claims, Preferences prefs, SchemaSnapshot snapshot, bool inlineReadOnly)
    {
        var request = http.Request;
        var command = new NpgsqlBatchCommand();
        var p = command.Parameters;
        var prefix = inlineReadOnly ? ReadOnlySetupPrefix : SetupPrefix;
        p.Add(Text(SearchPath(schema)));
        p.Add(Text(role));
        p.Add(Text(claims.Json));
        p.Add(Text(request.Method));
        p.Add(Text("/" + (request.RouteValues["path"] as string ?? "")));
        p.Add(Text(HeadersJson(request)));
        p.Add(Text(CookiesJson(request)));
        p.Add(Text(claims.Sub));
        p.Add(Text(role));
        p.Add(Text(claims.Email));
        var hasSettings = snapshot.RoleSettings.TryGetValue(role, out var settings) && settings.Count > 0;
        if (!hasSettings && prefs.Timezone is null)
        {
            // The common case: a constant statement text, prepared once per connection.
            command.CommandText = prefix;
            return command;
        }

        var sql = new StringBuilder(prefix);
        if (hasSettings)
        {
            foreach (var (name, value) in settings!)
            {
                p.Add(new NpgsqlParameter { Value = name });
                p.Add(new NpgsqlParameter { Value = value });
                sql.Append(CultureInfo.InvariantCulture, $", set_config(${p.Count - 1}, ${p.Count}, true)");
            }
        }

        if (prefs.Timezone is { } tz)
        {
            p.Add(new NpgsqlParameter { Value = tz });
            sql.Append(CultureInfo.InvariantCulture, $", set_config('timezone', ${p.Count}, true)");
        }

        command.CommandText = sql.ToString();
        return command;
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    /// <summary>The schema first, then the extra search path (quoted, repeated as PostgREST repeats it); cached per schema.</summary>
    private string SearchPath(string schema) => searchPaths.GetOrAdd(schema, s =>
        string.Join(", ", new[] { SqlParameters.Ident(s) }.Concat(environment.ExtraSearchPath.Select(SqlParameters.Ident))));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> searchPaths = new(StringComparer.Ordinal);

    private static string HeadersJson(HttpRequest request)
    {
        // One buffer and writer per thread, reset for each request; only the resulting string is allocated.
        var buffer = headersBuffer ??= new System.Buffers.ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = headersWriter ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        writer.WriteStartObject();
        foreach (var (key, value) in request.Headers)
        {
            writer.WriteString(key.ToLowerInvariant(), value.ToString());
        }

        writer.WriteEndObject();
        writer.Flush();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? headersBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? headersWriter;

    private static string CookiesJson(HttpRequest request)
    {
        if (!request.Headers.ContainsKey("Cookie"))
        {
            return "{}";
        }

        var obj = new JsonObject();
        foreach (var (key, value) in request.Cookies)
        {
            obj[key] = value;
        }

        return obj.ToJsonString();
    }
}
