using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Rest;

/// <summary>
/// The general PostgREST client for any table, view or function of the project (<c>/rest/v1</c>). Requests carry the
/// client's credentials. Immutable and thread-safe; get it from <see cref="CrmClient.Rest"/>.
/// </summary>
/// <example>
/// <code>
/// var open = await crm.Rest.From("tickets")
///     .Select("id,subject,status")
///     .Eq("status", "open")
///     .Order("created_at", descending: true)
///     .Limit(20)
///     .ToListAsync(MyJsonContext.Default.TicketSummary);
/// </code>
/// </example>
public sealed class RestClient
{
    internal RestClient(CrmConnection connection, IAccessTokenSource tokens, string schema, bool requiresUser = false)
    {
        Connection = connection;
        Tokens = tokens;
        SchemaName = schema;
        RequiresUser = requiresUser;
    }

    /// <summary>The schema the requests use (<c>Accept-Profile</c>/<c>Content-Profile</c>).</summary>
    public string SchemaName { get; }

    internal CrmConnection Connection { get; }

    internal IAccessTokenSource Tokens { get; }

    /// <summary>Whether requests refuse to go out as the anon key alone (the typed clients: with no user, every AutoCRM
    /// table is empty to the caller, so "not signed in" is the useful answer; the general builder may read public data).</summary>
    internal bool RequiresUser { get; }

    /// <summary>The same client for another exposed schema.</summary>
    /// <param name="schema">The schema name.</param>
    /// <returns>A client for that schema.</returns>
    public RestClient Schema(string schema)
    {
        Guard.NotBlank(schema, "schema");
        return new RestClient(Connection, Tokens, schema, RequiresUser);
    }

    /// <summary>Starts a query on a table or view (a read unless you turn it into a write).</summary>
    /// <param name="relation">The table or view name.</param>
    /// <returns>The query.</returns>
    public RestQuery From(string relation)
    {
        Guard.NotBlank(relation, "relation");
        return new RestQuery(new RestQueryState { Client = this, Relation = relation, Verb = RestVerb.Select });
    }

    /// <summary>Calls a database function with POST and named arguments (<c>/rpc/{function}</c>). Not retried unless you call
    /// <see cref="RestQuery.AsIdempotent"/>; filters, order and limits apply to set-returning functions.</summary>
    /// <param name="function">The function name.</param>
    /// <param name="arguments">Named arguments; <see langword="null"/> sends <c>{}</c>.</param>
    /// <returns>The call, to finish with a terminal method such as <see cref="RestQuery.ExecuteAsync"/>.</returns>
    public RestQuery Rpc(string function, JsonObject? arguments = null)
    {
        Guard.NotBlank(function, "function");
        var body = arguments is null ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(arguments, CrmJsonContext.Default.JsonObject);
        return new RestQuery(new RestQueryState { Client = this, Relation = function, Verb = RestVerb.Rpc, Body = body });
    }

    /// <summary>Calls a database function with POST and typed arguments.</summary>
    /// <typeparam name="TArguments">The arguments type (serialized to a JSON object of named arguments).</typeparam>
    /// <param name="function">The function name.</param>
    /// <param name="arguments">The arguments.</param>
    /// <param name="argumentsType">Their source-generated JSON metadata.</param>
    /// <returns>The call.</returns>
    public RestQuery Rpc<TArguments>(string function, TArguments arguments, JsonTypeInfo<TArguments> argumentsType)
    {
        Guard.NotBlank(function, "function");
        ArgumentNullException.ThrowIfNull(argumentsType);
        var body = JsonSerializer.SerializeToUtf8Bytes(arguments, argumentsType);
        return new RestQuery(new RestQueryState { Client = this, Relation = function, Verb = RestVerb.Rpc, Body = body });
    }

    /// <summary>Calls a read-only (<c>stable</c> or <c>immutable</c>) function with GET; arguments go in the query string.
    /// Such calls are retried on transient failures.</summary>
    /// <param name="function">The function name.</param>
    /// <param name="arguments">Named arguments (written like filter values; arrays as <c>{a,b}</c>).</param>
    /// <returns>The call.</returns>
    public RestQuery RpcGet(string function, IEnumerable<KeyValuePair<string, object?>>? arguments = null)
    {
        Guard.NotBlank(function, "function");
        var parameters = System.Collections.Immutable.ImmutableList<KeyValuePair<string, string>>.Empty;
        foreach (var (name, value) in arguments ?? [])
        {
            var text = value is System.Collections.IEnumerable list and not string and not JsonNode
                ? RestText.ArrayLiteral(list.Cast<object?>().Select(RestText.Format))
                : RestText.Format(value);
            parameters = parameters.Add(new(name, text));
        }

        return new RestQuery(new RestQueryState { Client = this, Relation = function, Verb = RestVerb.RpcGet, Filters = parameters, Retryable = true });
    }
}
