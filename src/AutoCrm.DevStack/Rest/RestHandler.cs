using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>Serves <c>/rest/v1/{path}</c>: one request, one transaction (docs/protocols.md#one-request-one-transaction).</summary>
internal sealed partial class RestHandler(RestEnvironment environment, SchemaCache cache, ILogger<RestHandler> logger)
{
    private readonly RestAuthenticator authenticator = new(environment);

    private readonly StatementExecutor executor = new(environment, new RequestSettings(environment));

    /// <summary>Main statements of table reads, per query shape.</summary>
    internal ReadStatementCache ReadStatements { get; } = new();

    public async Task HandleAsync(HttpContext http)
    {
        var cancellationToken = http.RequestAborted;
        try
        {
            await HandleCoreAsync(http, cancellationToken).ConfigureAwait(false);
        }
        catch (RestException e)
        {
            await ResponseWriter.WriteErrorAsync(http, e).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            await ResponseWriter.WriteErrorAsync(http, RestException.FromNpgsql(e)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or EncoderFallbackException or ArgumentException or FormatException)
        {
            await ResponseWriter.WriteErrorAsync(http, new RestException(400, "PGRST100", "Invalid input", e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogUnexpected(logger, e);
            await ResponseWriter.WriteErrorAsync(http, new RestException(500, "PGRST000", "Internal server error", e.Message)).ConfigureAwait(false);
        }
    }

    private async Task HandleCoreAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = http.Request;
        var method = request.Method;
        var path = (http.Request.RouteValues["path"] as string ?? "").Trim('/');
        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);

        // Schema from the profile headers, among the exposed ones (the database's pgrst.db_schemas, else the configured).
        var snapshot = await cache.GetAsync(cancellationToken).ConfigureAwait(false);
        var schemas = snapshot.Config.Schemas ?? environment.Schemas;
        var profileHeader = isRead ? request.Headers["Accept-Profile"] : request.Headers["Content-Profile"];
        var schemaName = schemas[0];
        if (!StringValues.IsNullOrEmpty(profileHeader))
        {
            schemaName = profileHeader.ToString();
            if (!schemas.Contains(schemaName))
            {
                throw new RestException(406, "PGRST106", $"Invalid schema: {schemaName}", null,
                    $"Only the following schemas are exposed: {string.Join(", ", schemas)}");
            }
        }

        if (schemas.Count > 1 || !StringValues.IsNullOrEmpty(profileHeader))
        {
            // With several schemas PostgREST names the one it chose, asked for or not.
            http.Response.Headers["Content-Profile"] = schemaName;
        }

        var (role, claims) = authenticator.Authenticate(request);
        var prefs = Preferences.Parse(request.Headers["Prefer"], snapshot.TimeZones.Count == 0 ? null : snapshot.TimeZones.Contains);
        if (!snapshot.Roles.Contains(role))
        {
            snapshot = await cache.RefreshAfterMissAsync(snapshot, cancellationToken).ConfigureAwait(false);
            if (!snapshot.Roles.Contains(role))
            {
                throw new RestException(401, "22023", $"role \"{role}\" does not exist") { Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer" } };
            }
        }

        if (path.Length == 0)
        {
            MediaTypes.NegotiateRoot(request.Headers.Accept);
            await ResponseWriter.WriteRootAsync(http, schemaName).ConfigureAwait(false);
            return;
        }

        var media = MediaTypes.Negotiate(request.Headers.Accept, snapshot.PlanEnabled);
        var format = media.Format;

        var segments = path.Split('/');
        RestStatement statement;
        string target;
        var kind = RequestKind.Read;
        if (segments.Length == 2 && segments[0] == "rpc")
        {
            target = segments[1];
            if (!isRead && !HttpMethods.IsPost(method))
            {
                throw new RestException(405, "PGRST101", $"Cannot use the {method} method on RPC");
            }

            kind = RequestKind.Call;
            (statement, snapshot) = await BuildCallAsync(http, snapshot, schemaName, target, prefs, format, isRead, cancellationToken).ConfigureAwait(false);
        }
        else if (segments.Length == 1)
        {
            target = segments[0];
            var relation = snapshot.Relation(schemaName, target);
            if (relation is null)
            {
                snapshot = await cache.RefreshAfterMissAsync(snapshot, cancellationToken).ConfigureAwait(false);
                relation = snapshot.Relation(schemaName, target) ?? throw TableNotFound(snapshot, schemaName, target);
            }

            // Reads parse (or skip parsing, on a cached shape) inside the statement cache.
            var query = isRead ? null! : RestQuery.Parse(request.Query, null);
            if (isRead)
            {
                statement = ReadStatements.Read(snapshot, relation, request.Query, request.Headers.Range.ToString(), prefs.Count, environment.MaxRows(), format, q =>
                {
                    var parsed = RestQuery.Parse(q, null);
                    RangeHeader.Apply(request, parsed);
                    return parsed;
                });
            }
            else if (HttpMethods.IsPost(method))
            {
                kind = RequestKind.Insert;
                var body = await RequestBody.ReadJsonAsync(request, cancellationToken).ConfigureAwait(false);
                statement = StatementBuilder.Insert(snapshot, relation, query, prefs, body, format);
            }
            else if (HttpMethods.IsPatch(method))
            {
                kind = RequestKind.Update;
                var body = await RequestBody.ReadJsonAsync(request, cancellationToken).ConfigureAwait(false);
                statement = StatementBuilder.Update(snapshot, relation, query, prefs, body, format);
            }
            else if (HttpMethods.IsPut(method))
            {
                kind = RequestKind.Insert;
                var body = await RequestBody.ReadJsonAsync(request, cancellationToken).ConfigureAwait(false);
                RequestBody.CheckPut(relation, query, body);
                statement = StatementBuilder.Insert(snapshot, relation, query, prefs with { Resolution = ResolutionPreference.MergeDuplicates }, body, format);
                kind = RequestKind.Put;
            }
            else if (HttpMethods.IsDelete(method))
            {
                kind = RequestKind.Delete;
                statement = StatementBuilder.Delete(snapshot, relation, query, prefs, format);
            }
            else
            {
                throw new RestException(405, "PGRST117", $"Unsupported HTTP method: {method}");
            }
        }
        else
        {
            throw new RestException(404, "PGRST125", "Invalid path specified in request URL");
        }

        if (media.Plan is { } plan)
        {
            var planText = await executor.ExplainAsync(http, schemaName, statement, plan, role, claims, prefs, snapshot, cancellationToken).ConfigureAwait(false);
            await ResponseWriter.WritePlanAsync(http, media, planText).ConfigureAwait(false);
            return;
        }

        var outcome = await executor.ExecuteAsync(http, schemaName, statement, kind, role, claims, prefs, media, snapshot, cancellationToken).ConfigureAwait(false);
        await ResponseWriter.WriteResultAsync(http, statement, kind, target, prefs, media, outcome, snapshot.Config).ConfigureAwait(false);
    }

    private async Task<(RestStatement, SchemaSnapshot)> BuildCallAsync(HttpContext http, SchemaSnapshot snapshot, string schemaName, string name, Preferences prefs, BodyFormat format, bool isRead, CancellationToken cancellationToken)
    {
        if (!snapshot.Functions.TryGetValue((schemaName, name), out var candidates))
        {
            snapshot = await cache.RefreshAfterMissAsync(snapshot, cancellationToken).ConfigureAwait(false);
            candidates = snapshot.Functions.GetValueOrDefault((schemaName, name)) ?? [];
        }

        var paramNames = candidates.SelectMany(f => f.Parameters).Select(p => p.Name).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
        var query = RestQuery.Parse(http.Request.Query, isRead ? paramNames.Contains : null);
        CallArguments arguments;
        HashSet<string> keys;
        CallBody bodyKind;
        if (isRead)
        {
            var obj = new JsonObject();
            foreach (var group in query.Arguments.GroupBy(a => a.Key, StringComparer.Ordinal))
            {
                var values = group.Select(a => a.Value).ToList();
                obj[group.Key] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
            }

            arguments = new CallArguments(obj.ToJsonString());
            keys = [.. query.Arguments.Select(a => a.Key)];
            bodyKind = CallBody.Query;
            RangeHeader.Apply(http.Request, query);
        }
        else
        {
            bodyKind = RequestBody.CallBodyOf(http.Request.ContentType);
            keys = [];
            if (bodyKind == CallBody.Json)
            {
                var body = http.Request.ContentLength == 0
                    ? JsonDocument.Parse("{}").RootElement.Clone()
                    : await RequestBody.ReadJsonAsync(http.Request, cancellationToken).ConfigureAwait(false);
                arguments = new CallArguments(body.GetRawText());
                if (body.ValueKind == JsonValueKind.Object)
                {
                    keys = [.. body.EnumerateObject().Select(p => p.Name)];
                }
                else if (!candidates.Any(f => f.TakesOnePositional && f.Parameters[0].Type is "json" or "jsonb"))
                {
                    throw RestException.InvalidBody("Empty or invalid json");
                }
            }
            else
            {
                var raw = await RequestBody.ReadRawAsync(http.Request, cancellationToken).ConfigureAwait(false);
                arguments = bodyKind == CallBody.Binary ? new CallArguments(null, Bytes: raw) : new CallArguments(null, Text: RequestBody.Utf8(raw));
            }
        }

        var function = FunctionResolver.Choose(snapshot, schemaName, name, candidates, keys, bodyKind);
        var readOnly = isRead || function.Volatility != 'v';
        var statement = StatementBuilder.Call(snapshot, function, query, arguments, keys, readOnly, prefs.Count, environment.MaxRows(), format);
        return (statement, snapshot);
    }

    private static RestException TableNotFound(SchemaSnapshot snapshot, string schemaName, string name)
    {
        var close = NameSuggestions.Closest(snapshot.Relations.Where(kv => kv.Key.Schema == schemaName && kv.Value.Kind != 'c').Select(kv => kv.Key.Name), name);
        return new RestException(404, "PGRST205", $"Could not find the table '{schemaName}.{name}' in the schema cache", null,
            close is null ? null : $"Perhaps you meant the table '{schemaName}.{close}'");
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Unexpected error in a REST request")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
