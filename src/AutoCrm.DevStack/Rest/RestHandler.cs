using System.Data;
using System.Globalization;
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
    private const string JsonType = "application/json; charset=utf-8";

    private const string SetupPrefix = "SELECT " + SetupPrefixList;

    private const string SetupPrefixList =
        "set_config('search_path', $1, true), set_config('role', $2, true), set_config('request.jwt.claims', $3, true), " +
        "set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.headers', $6, true), " +
        "set_config('request.cookies', $7, true), set_config('request.jwt.claim.sub', $8, true), set_config('request.jwt.claim.role', $9, true), " +
        "set_config('request.jwt.claim.email', $10, true)";

    /// <summary>The setup of a read outside BEGIN: the implicit transaction turns read-only first.</summary>
    private const string ReadOnlySetupPrefix = "SELECT set_config('transaction_read_only', 'on', true), " + SetupPrefixList;

    public async Task HandleAsync(HttpContext http)
    {
        var cancellationToken = http.RequestAborted;
        try
        {
            await HandleCoreAsync(http, cancellationToken).ConfigureAwait(false);
        }
        catch (RestException e)
        {
            await WriteErrorAsync(http, e).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            await WriteErrorAsync(http, RestException.FromNpgsql(e)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or EncoderFallbackException or ArgumentException or FormatException)
        {
            await WriteErrorAsync(http, new RestException(400, "PGRST100", "Invalid input", e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogUnexpected(logger, e);
            await WriteErrorAsync(http, new RestException(500, "PGRST000", "Internal server error", e.Message)).ConfigureAwait(false);
        }
    }

    private async Task HandleCoreAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = http.Request;
        var method = request.Method;
        var path = (http.Request.RouteValues["path"] as string ?? "").Trim('/');
        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);

        // Schema from the profile headers.
        var profileHeader = isRead ? request.Headers["Accept-Profile"] : request.Headers["Content-Profile"];
        var schemaName = environment.Schemas[0];
        if (!StringValues.IsNullOrEmpty(profileHeader))
        {
            schemaName = profileHeader.ToString();
            if (!environment.Schemas.Contains(schemaName))
            {
                throw new RestException(406, "PGRST106", $"Invalid schema: {schemaName}", null,
                    $"Only the following schemas are exposed: {string.Join(", ", environment.Schemas)}");
            }

            http.Response.Headers["Content-Profile"] = schemaName;
        }

        var (role, claims) = Authenticate(request);
        var snapshot = await cache.GetAsync(cancellationToken).ConfigureAwait(false);
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
            await WriteRootAsync(http, schemaName).ConfigureAwait(false);
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
                    ApplyRangeHeader(request, parsed);
                    return parsed;
                });
            }
            else if (HttpMethods.IsPost(method))
            {
                kind = RequestKind.Insert;
                var body = await ReadJsonBodyAsync(request, cancellationToken).ConfigureAwait(false);
                statement = StatementBuilder.Insert(snapshot, relation, query, prefs, body, format);
            }
            else if (HttpMethods.IsPatch(method))
            {
                kind = RequestKind.Update;
                var body = await ReadJsonBodyAsync(request, cancellationToken).ConfigureAwait(false);
                statement = StatementBuilder.Update(snapshot, relation, query, prefs, body, format);
            }
            else if (HttpMethods.IsPut(method))
            {
                kind = RequestKind.Insert;
                var body = await ReadJsonBodyAsync(request, cancellationToken).ConfigureAwait(false);
                CheckPut(relation, query, body);
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

        await ExecuteAsync(http, statement, kind, role, claims, target, prefs, media, snapshot, cancellationToken).ConfigureAwait(false);
    }

    private enum RequestKind { Read, Insert, Update, Delete, Put, Call }

    /// <summary>Main statements of table reads, per query shape.</summary>
    internal ReadStatementCache ReadStatements { get; } = new();

    internal (string Role, RequestClaims Claims) Authenticate(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return (environment.AnonRole, AnonClaims);
        }

        var token = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization[7..].Trim()
            : authorization.Equals("Bearer", StringComparison.OrdinalIgnoreCase) ? "" : null;
        if (token is null)
        {
            // Not a bearer scheme: PostgREST ignores it and runs as anon.
            return (environment.AnonRole, AnonClaims);
        }

        // A token seen before skips the signature check and the claims parsing; its time claims are checked again
        // on every use, and a token that no longer passes them goes through the full validation (and its error).
        if (token.Length > 0 && validatedTokens.TryGetValue(token, out var cached) && cached.StillValid(environment.TimeProvider))
        {
            return (cached.Claims.Role, cached.Claims);
        }

        var result = token.Length == 0
            ? RestJwtResult.Invalid("PGRST301", "Empty JWT is sent in Authorization header")
            : SafeValidate(token);
        if (!result.IsValid || result.Claims is null)
        {
            var message = result.ErrorMessage ?? "JWT invalid";
            throw new RestException(401, result.ErrorCode ?? "PGRST301", message)
            {
                Headers = new Dictionary<string, string>
                {
                    ["WWW-Authenticate"] = $"Bearer error=\"invalid_token\", error_description=\"{message.Replace("\"", "'", StringComparison.Ordinal)}\"",
                },
            };
        }

        var claims = result.Claims;
        var role = claims["role"] is JsonValue v && v.TryGetValue<string>(out var r) && r.Length > 0 ? r : environment.AnonRole;
        claims["role"] = role;
        var requestClaims = new RequestClaims(role, claims.ToJsonString(), ClaimText(claims, "sub"), ClaimText(claims, "email"));
        if (TryTimeClaim(claims, "exp", out var exp) && TryTimeClaim(claims, "nbf", out var nbf))
        {
            if (validatedTokens.Count >= MaxCachedTokens)
            {
                validatedTokens.Clear();
            }

            validatedTokens[token] = new ValidatedToken(requestClaims, exp, nbf);
        }

        return (role, requestClaims);
    }

    private const int MaxCachedTokens = 1024;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ValidatedToken> validatedTokens = new(StringComparer.Ordinal);

    private RequestClaims AnonClaims => anonClaims ??= new RequestClaims(
        environment.AnonRole, new JsonObject { ["role"] = environment.AnonRole }.ToJsonString(), "", "");

    private RequestClaims? anonClaims;

    /// <summary>What a request's setup statement needs of its JWT claims, computed once per token.</summary>
    internal sealed record RequestClaims(string Role, string Json, string Sub, string Email);

    /// <summary>A token whose signature and claims passed; exp/nbf as validated (whole seconds), for re-checking.</summary>
    private sealed record ValidatedToken(RequestClaims Claims, long? Exp, long? Nbf)
    {
        public bool StillValid(TimeProvider time)
        {
            var now = time.GetUtcNow().ToUnixTimeSeconds();
            var skew = (long)Security.JwtService.ClockSkew.TotalSeconds;
            return (Exp is not { } exp || now <= exp + skew) && (Nbf is not { } nbf || now >= nbf - skew);
        }
    }

    /// <summary>A time claim that is absent (null) or a whole number of seconds; any other form is not cached.</summary>
    private static bool TryTimeClaim(JsonObject claims, string name, out long? seconds)
    {
        seconds = null;
        if (!claims.TryGetPropertyValue(name, out var node) || node is null)
        {
            return true;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<JsonElement>(out var e) && e.TryGetInt64(out var s))
        {
            seconds = s;
            return true;
        }

        return false;
    }

    private RestJwtResult SafeValidate(string token)
    {
        try
        {
            return environment.ValidateJwt(token);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException or InvalidOperationException or DecoderFallbackException)
        {
            return RestJwtResult.Invalid("PGRST301", "JWT cryptographic operation failed");
        }
    }

    private static void ApplyRangeHeader(HttpRequest request, RestQuery query)
    {
        var range = request.Headers.Range.ToString();
        if (range.Length == 0)
        {
            return;
        }

        var spec = range.StartsWith("items=", StringComparison.OrdinalIgnoreCase) ? range[6..] : range;
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !long.TryParse(spec.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            return;
        }

        long? to = null;
        if (dash + 1 < spec.Length)
        {
            if (!long.TryParse(spec.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                return;
            }

            to = t;
        }

        if (to < from)
        {
            throw new RestException(416, "PGRST103", "Requested range not satisfiable", "The lower boundary must be lower than or equal to the upper boundary in the Range header.");
        }

        var root = query.Root;
        root.Offset ??= from;
        if (to is { } upper)
        {
            root.Limit = root.Limit is { } l ? Math.Min(l, upper - from + 1) : upper - from + 1;
        }
    }

    private static void CheckPut(DbRelation relation, RestQuery query, JsonElement body)
    {
        var pk = relation.PrimaryKey;
        var filters = query.Root.Conditions.OfType<FilterCondition>().ToList();
        var ok = pk.Count > 0 && body.ValueKind == JsonValueKind.Object && filters.Count == query.Root.Conditions.Count
            && filters.Count == pk.Count
            && pk.All(k => filters.Any(f => f.Field.Name == k && f.Field.Path.Count == 0 && !f.Negated
                && f.Operation is SimpleOperation { Operator: "eq", Quantifier: Quantifier.None } eq
                && body.TryGetProperty(k, out var v) && JsonText(v) == eq.Value));
        if (!ok)
        {
            throw new RestException(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators");
        }
    }

    private static string JsonText(JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText();

    private static async Task<JsonElement> ReadJsonBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            throw RestException.InvalidBody("Empty or invalid json");
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 256 });
            Validate(document.RootElement);
            return document.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new RestException(400, "PGRST102", "Empty or invalid json", e.Message);
        }
    }

    /// <summary>Decodes every name and string once, so invalid UTF-8 or lone surrogates fail here as a 400.</summary>
    private static void Validate(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    Validate(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Validate(item);
                }

                break;
            case JsonValueKind.String:
                _ = element.GetString();
                break;
        }
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
        string? argumentsJson;
        HashSet<string> keys;
        if (isRead)
        {
            var obj = new JsonObject();
            foreach (var group in query.Arguments.GroupBy(a => a.Key, StringComparer.Ordinal))
            {
                var values = group.Select(a => a.Value).ToList();
                obj[group.Key] = values.Count == 1 ? JsonValue.Create(values[0]) : new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
            }

            argumentsJson = obj.ToJsonString();
            keys = [.. query.Arguments.Select(a => a.Key)];
            ApplyRangeHeader(http.Request, query);
        }
        else
        {
            var contentLength = http.Request.ContentLength;
            JsonElement body;
            if (contentLength == 0)
            {
                body = JsonDocument.Parse("{}").RootElement.Clone();
            }
            else
            {
                body = await ReadJsonBodyAsync(http.Request, cancellationToken).ConfigureAwait(false);
            }

            argumentsJson = body.GetRawText();
            keys = body.ValueKind == JsonValueKind.Object ? [.. body.EnumerateObject().Select(p => p.Name)] : [];
            if (body.ValueKind != JsonValueKind.Object && !candidates.Any(f => f.IsSingleUnnamedJson))
            {
                throw RestException.InvalidBody("Empty or invalid json");
            }
        }

        var function = ChooseFunction(snapshot, schemaName, name, candidates, keys, isRead);
        var readOnly = isRead || function.Volatility != 'v';
        var statement = StatementBuilder.Call(snapshot, function, query, argumentsJson, keys, readOnly, prefs.Count, environment.MaxRows(), format);
        return (statement, snapshot);
    }

    private static DbFunction ChooseFunction(SchemaSnapshot snapshot, string schemaName, string name, IReadOnlyList<DbFunction> candidates, HashSet<string> keys, bool isRead)
    {
        var named = candidates.Where(f => !f.IsSingleUnnamedJson
            && keys.All(k => f.Parameters.Any(p => p.Name == k))
            && f.Parameters.All(p => p.HasDefault || keys.Contains(p.Name))).ToList();
        if (named.Count == 0 && !isRead)
        {
            named = candidates.Where(f => f.IsSingleUnnamedJson).ToList();
        }

        if (named.Count == 0 && keys.Count == 0)
        {
            named = candidates.Where(f => f.Parameters.Count == 1 && f.Parameters[0].Name.Length == 0 && f.Parameters[0].HasDefault).ToList();
        }

        if (named.Count == 1)
        {
            return named[0];
        }

        if (named.Count > 1)
        {
            // Prefer the overload whose parameters are exactly the given keys.
            var exact = named.Where(f => f.Parameters.Count == keys.Count).ToList();
            if (exact.Count == 1)
            {
                return exact[0];
            }

            throw new RestException(300, "PGRST203",
                $"Could not choose the best candidate function between: {string.Join(", ", named.Select(f => $"{f.QualifiedName}({string.Join(", ", f.Parameters.Select(p => $"{p.Name} => {p.Type}"))})"))}",
                null,
                "Try renaming the parameters or the function itself in the database so function overloading can be resolved");
        }

        var sorted = keys.Order(StringComparer.Ordinal).ToList();
        var qualified = $"{schemaName}.{name}";
        var message = sorted.Count == 0
            ? $"Could not find the function {qualified} without parameters in the schema cache"
            : $"Could not find the function {qualified}({string.Join(", ", sorted)}) in the schema cache";
        var details = sorted.Count == 0
            ? $"Searched for the function {qualified} without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache."
            : $"Searched for the function {qualified} with parameters {string.Join(", ", sorted)} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.";
        string? hint = null;
        if (candidates.Count > 0)
        {
            var f = candidates[0];
            hint = $"Perhaps you meant to call the function {f.QualifiedName}({string.Join(", ", f.Parameters.Select(p => p.Name))})";
        }
        else
        {
            var close = snapshot.Functions.Keys.Where(k => k.Schema == schemaName)
                .Select(k => (k.Name, Distance: Levenshtein(k.Name, name))).Where(x => x.Distance <= Math.Max(2, name.Length / 3))
                .OrderBy(x => x.Distance).FirstOrDefault();
            if (close.Name is not null)
            {
                hint = $"Perhaps you meant to call the function {schemaName}.{close.Name}";
            }
        }

        throw new RestException(404, "PGRST202", message, details, hint);
    }

    private static RestException TableNotFound(SchemaSnapshot snapshot, string schemaName, string name)
    {
        var close = snapshot.Relations.Where(kv => kv.Key.Schema == schemaName && kv.Value.Kind != 'c')
            .Select(kv => (kv.Key.Name, Distance: Levenshtein(kv.Key.Name, name)))
            .Where(x => x.Distance <= Math.Max(2, name.Length / 3)).OrderBy(x => x.Distance).FirstOrDefault();
        return new RestException(404, "PGRST205", $"Could not find the table '{schemaName}.{name}' in the schema cache", null,
            close.Name is null ? null : $"Perhaps you meant the table '{schemaName}.{close.Name}'");
    }

    private static int Levenshtein(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 8 || a.Length > 128 || b.Length > 128)
        {
            return int.MaxValue;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private async Task ExecuteAsync(HttpContext http, RestStatement statement, RequestKind kind, string role, RequestClaims claims, string target, Preferences prefs, ResponseMedia media, SchemaSnapshot snapshot, CancellationToken cancellationToken)
    {
        var singular = media.IsSingular;
        if (media.Plan is { } plan)
        {
            await ExplainAsync(http, statement, plan, media, role, claims, prefs, snapshot, cancellationToken).ConfigureAwait(false);
            return;
        }

        var anonymous = role == environment.AnonRole;
        // Prefer: handling=strict, max-affected=n limits writes and calls (the rows they return), never table reads.
        var checkMax = prefs.Strict == true && prefs.MaxAffected is not null && kind != RequestKind.Read;
        if (checkMax && kind == RequestKind.Call && statement.Shape != ResultShape.Rows)
        {
            throw new RestException(400, "PGRST128", "Function must return SETOF or TABLE when max-affected preference is used with handling=strict");
        }

        var needsCheck = !statement.ReadOnly && (singular || checkMax);

        await using var connection = await environment.Authenticator.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = connection.CreateBatch();

        // One round trip. Without a check after the statement, no BEGIN/COMMIT is sent: the batch's statements up to
        // its single Sync are one implicit transaction (committed at the Sync, rolled back as a whole on an error),
        // so set_config(…, true) holds for the main statement and READ ONLY is set in the same setup statement.
        if (needsCheck)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.ReadOnly ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY" : "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"));
        }

        batch.BatchCommands.Add(SetupCommand(http, role, claims, prefs, snapshot, inlineReadOnly: !needsCheck && statement.ReadOnly));
        if (statement.ExplainSql is { } explain)
        {
            var explainCommand = new NpgsqlBatchCommand(explain);
            foreach (var p in statement.Parameters.Items)
            {
                explainCommand.Parameters.Add(p.Clone());
            }

            batch.BatchCommands.Add(explainCommand);
        }

        var main = new NpgsqlBatchCommand(statement.Sql);
        foreach (var parameter in statement.Parameters.Items)
        {
            main.Parameters.Add(parameter);
        }

        batch.BatchCommands.Add(main);

        long? total = null;
        long pageCount = 0;
        long? planned = null;
        byte[]? body = null;
        string? headersJson = null;
        string? statusOverride = null;
        try
        {
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                do
                {
                    if (reader.FieldCount == 0)
                    {
                        continue;
                    }

                    var first = reader.GetName(0);
                    if (first == "QUERY PLAN" && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        planned = PlanRows(reader.GetString(0));
                    }
                    else if (first == "pgrst_total" && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        total = reader.IsDBNull(0) ? null : reader.GetInt64(0);
                        pageCount = reader.GetInt64(1);
                        body = reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2); // the UTF-8 text as sent, no string
                        headersJson = reader.IsDBNull(3) ? null : reader.GetString(3);
                        statusOverride = reader.IsDBNull(4) ? null : reader.GetString(4);
                    }
                }
                while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
            }

            if (statement.Shape == ResultShape.Affected)
            {
                pageCount = main.RecordsAffected;
            }

            if (singular && statement.ReadOnly && statement.Shape == ResultShape.Rows && pageCount != 1)
            {
                throw new RestException(406, "PGRST116", "Cannot coerce the result to a single JSON object", $"The result contains {pageCount} rows");
            }

            if (checkMax && !needsCheck && pageCount > prefs.MaxAffected)
            {
                throw MaxAffectedExceeded(pageCount);
            }

            if (needsCheck)
            {
                var fail = singular && pageCount != 1
                    ? new RestException(406, "PGRST116", "Cannot coerce the result to a single JSON object", $"The result contains {pageCount} rows")
                    : checkMax && prefs.MaxAffected is { } max && pageCount > max
                        ? MaxAffectedExceeded(pageCount)
                        : null;
                await using var end = new NpgsqlCommand(fail is null ? "COMMIT" : "ROLLBACK", connection);
                await end.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (fail is not null)
                {
                    throw fail;
                }
            }
        }
        catch (PostgresException e)
        {
            // Without BEGIN the failed batch was already rolled back at its Sync.
            if (needsCheck)
            {
                await RollbackQuietlyAsync(connection).ConfigureAwait(false);
            }

            throw RestException.FromPostgres(e, anonymous);
        }
        catch (Exception) when (needsCheck && connection.State == ConnectionState.Open)
        {
            await RollbackQuietlyAsync(connection).ConfigureAwait(false);
            throw;
        }

        if (prefs.Count == CountPreference.Planned)
        {
            total = planned;
        }
        else if (prefs.Count == CountPreference.Estimated && total > (environment.MaxRows() ?? 1000) && planned is not null)
        {
            total = planned;
        }

        await WriteResultAsync(http, statement, kind, target, prefs, media, total, pageCount, body, headersJson, statusOverride).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>Accept: application/vnd.pgrst.plan…</c>: the request's statement under EXPLAIN, in the same transaction
    /// setup, answered as the plan's lines (text) or document (json), each followed by a newline.
    /// </summary>
    private async Task ExplainAsync(HttpContext http, RestStatement statement, PlanRequest plan, ResponseMedia media, string role, RequestClaims claims, Preferences prefs, SchemaSnapshot snapshot, CancellationToken cancellationToken)
    {
        var anonymous = role == environment.AnonRole;
        await using var connection = await environment.Authenticator.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = connection.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.ReadOnly ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY" : "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"));
        batch.BatchCommands.Add(SetupCommand(http, role, claims, prefs, snapshot, inlineReadOnly: false));
        var main = new NpgsqlBatchCommand($"EXPLAIN ({plan.ExplainOptions}) {statement.Sql}");
        main.Parameters.AddRange(statement.Parameters.Items.ToArray());
        batch.BatchCommands.Add(main);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        var text = new StringBuilder();
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            do
            {
                if (reader.FieldCount == 1 && reader.GetName(0) == "QUERY PLAN")
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        text.Append(reader.GetString(0)).Append('\n');
                    }
                }
            }
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (PostgresException e)
        {
            await RollbackQuietlyAsync(connection).ConfigureAwait(false);
            throw RestException.FromPostgres(e, anonymous);
        }
        catch (Exception) when (connection.State == ConnectionState.Open)
        {
            await RollbackQuietlyAsync(connection).ConfigureAwait(false);
            throw;
        }

        http.Response.StatusCode = 200;
        http.Response.ContentType = media.ContentType;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.WriteAsync(text.ToString(), http.RequestAborted).ConfigureAwait(false);
        }
    }

    private static async Task RollbackQuietlyAsync(NpgsqlConnection connection)
    {
        try
        {
            if (connection.State == ConnectionState.Open)
            {
                await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
                await rollback.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException)
        {
            // The connection is broken; the pool discards it.
        }
    }

    private static long? PlanRows(string planJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(planJson);
            return doc.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetInt64();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private NpgsqlBatchCommand SetupCommand(HttpContext http, string role, RequestClaims claims, Preferences prefs, SchemaSnapshot snapshot, bool inlineReadOnly)
    {
        var request = http.Request;
        var command = new NpgsqlBatchCommand();
        var p = command.Parameters;
        var prefix = inlineReadOnly ? ReadOnlySetupPrefix : SetupPrefix;
        var profile = http.Response.Headers["Content-Profile"].ToString();
        p.Add(Text(SearchPath(profile.Length > 0 ? profile : environment.Schemas[0])));
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

    /// <summary>The schema first, then the extra search path (deduplicated, quoted); cached per schema.</summary>
    private string SearchPath(string schema) => searchPaths.GetOrAdd(schema, s =>
        string.Join(", ", new[] { SqlParameters.Ident(s) }.Concat(environment.ExtraSearchPath.Select(SqlParameters.Ident)).Distinct()));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> searchPaths = new(StringComparer.Ordinal);

    private static string ClaimText(JsonObject claims, string name) =>
        claims[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

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

    private static async Task WriteResultAsync(HttpContext http, RestStatement statement, RequestKind kind, string target, Preferences prefs, ResponseMedia media, long? total, long pageCount, byte[]? body, string? headersJson, string? statusOverride)
    {
        var request = http.Request;
        var response = http.Response;
        var singular = media.IsSingular;
        string? appliedResolution = null, appliedMissing = null, appliedReturn = null, appliedCount = null;
        var isHead = HttpMethods.IsHead(request.Method);
        int status;
        var writeBody = true;

        switch (kind)
        {
            case RequestKind.Read:
            case RequestKind.Call when statement.Shape == ResultShape.Rows:
            {
                var offset = RootOffset(request);
                status = 200;
                if (prefs.Count != CountPreference.None && total is { } t)
                {
                    appliedCount = "count=" + CountName(prefs.Count);
                    var last = offset + pageCount - 1;
                    if (offset > t && !(offset == 0 && t == 0))
                    {
                        throw new RestException(416, "PGRST103", "Requested range not satisfiable",
                            $"An offset of {offset} was requested, but there are only {t} rows.");
                    }

                    if (1 + last - offset < t)
                    {
                        status = 206;
                    }
                }

                response.Headers["Content-Range"] = (pageCount == 0 ? "*" : $"{offset}-{offset + pageCount - 1}") + "/" + (total is { } tt && prefs.Count != CountPreference.None ? tt.ToString(CultureInfo.InvariantCulture) : "*");
                if (kind == RequestKind.Read)
                {
                    response.Headers["Content-Location"] = ContentLocation(request, target);
                }

                break;
            }

            case RequestKind.Call:
                status = statement.Shape == ResultShape.None ? 204 : 200;
                writeBody = statement.Shape != ResultShape.None;
                break;
            default:
            {
                var ret = prefs.Return ?? ReturnPreference.Minimal;
                if (prefs.Return is not null)
                {
                    appliedReturn = "return=" + ret switch { ReturnPreference.HeadersOnly => "headers-only", ReturnPreference.Representation => "representation", _ => "minimal" };
                }

                if (prefs.Count != CountPreference.None)
                {
                    appliedCount = "count=" + CountName(prefs.Count);
                }

                var countText = prefs.Count != CountPreference.None ? pageCount.ToString(CultureInfo.InvariantCulture) : "*";
                if (kind is RequestKind.Insert or RequestKind.Put)
                {
                    if (prefs.Resolution != ResolutionPreference.None && kind == RequestKind.Insert)
                    {
                        appliedResolution = "resolution=" + (prefs.Resolution == ResolutionPreference.MergeDuplicates ? "merge-duplicates" : "ignore-duplicates");
                    }

                    if (prefs.Missing is { } missing)
                    {
                        appliedMissing = missing ? "missing=default" : "missing=null";
                    }

                    status = kind == RequestKind.Put ? 200 : prefs.Resolution == ResolutionPreference.MergeDuplicates && total == 0 && pageCount > 0 ? 200 : 201;
                    response.Headers["Content-Range"] = "*/" + countText;
                    if (statement.LocationKeys is { } keys && pageCount == 1 && body is not null)
                    {
                        response.Headers.Location = LocationHeader(target, keys, body, singular);
                    }
                }
                else
                {
                    status = ret == ReturnPreference.Representation ? 200 : 204;
                    response.Headers["Content-Range"] = kind == RequestKind.Delete || pageCount == 0
                        ? "*/" + countText
                        : $"0-{pageCount - 1}/{countText}";
                }

                if (ret != ReturnPreference.Representation)
                {
                    writeBody = false;
                }

                break;
            }
        }

        // PostgREST's order: resolution, missing, return, params, count, tx, handling, timezone, max-affected.
        List<string>? applied = null;
        AddIf(ref applied, appliedResolution);
        AddIf(ref applied, appliedMissing);
        AddIf(ref applied, appliedReturn);
        AddIf(ref applied, prefs.SingleObject && kind == RequestKind.Call ? "params=single-object" : null);
        AddIf(ref applied, appliedCount);
        AddIf(ref applied, prefs.Strict is { } strict ? "handling=" + (strict ? "strict" : "lenient") : null);
        AddIf(ref applied, prefs.Timezone is { } tz ? "timezone=" + tz : null);
        AddIf(ref applied, prefs.Strict == true && prefs.MaxAffected is { } max && kind != RequestKind.Read ? "max-affected=" + max.ToString(CultureInfo.InvariantCulture) : null);

        if (applied is not null)
        {
            response.Headers["Preference-Applied"] = string.Join(", ", applied);
        }

        ApplyFunctionOverrides(response, headersJson, statusOverride, ref status);
        response.StatusCode = status;
        if (!writeBody || status == 204)
        {
            return;
        }

        response.ContentType = media.ContentType;
        if (!isHead)
        {
            // A known length: no chunked framing for the (usually small) body.
            var bytes = body ?? NullBody;
            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
        }
    }

    private static RestException MaxAffectedExceeded(long affected) =>
        new(400, "PGRST124", "Query result exceeds max-affected preference constraint", $"The query affects {affected} rows");

    private static void AddIf(ref List<string>? list, string? value)
    {
        if (value is not null)
        {
            (list ??= new List<string>(4)).Add(value);
        }
    }

    private static void ApplyFunctionOverrides(HttpResponse response, string? headersJson, string? statusOverride, ref int status)
    {
        if (statusOverride is not null && int.TryParse(statusOverride, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s is >= 100 and <= 599)
        {
            status = s;
        }

        if (headersJson is null)
        {
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(headersJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                foreach (var p in item.EnumerateObject())
                {
                    response.Headers[p.Name] = p.Value.ToString();
                }
            }
        }
        catch (JsonException)
        {
            // PostgREST answers 500 PGRST111 here; a dev server ignores the bad header list.
        }
    }

    private static long RootOffset(HttpRequest request)
    {
        long offset = 0;
        if (request.Query.TryGetValue("offset", out var o) && long.TryParse(o.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            offset = parsed;
        }
        else
        {
            var range = request.Headers.Range.ToString();
            var spec = range.StartsWith("items=", StringComparison.OrdinalIgnoreCase) ? range[6..] : range;
            var dash = spec.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && long.TryParse(spec.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var from))
            {
                offset = from;
            }
        }

        return offset;
    }

    private static string CountName(CountPreference count) => count switch
    {
        CountPreference.Exact => "exact",
        CountPreference.Planned => "planned",
        _ => "estimated",
    };

    private static string ContentLocation(HttpRequest request, string target)
    {
        var raw = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        if (IsSortedAndClean(raw))
        {
            // The common case needs no splitting: the pairs are already in key order, none empty.
            return raw.Length > 0 ? string.Concat("/", target, "?", raw) : "/" + target;
        }

        var pairs = raw.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => (Key: p.Split('=')[0], Pair: p))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Pair);
        var query = string.Join('&', pairs);
        return "/" + target + (query.Length > 0 ? "?" + query : "");
    }

    /// <summary>Whether the pairs of <paramref name="raw"/> are non-empty and their keys in (ordinal) order.</summary>
    private static bool IsSortedAndClean(string raw)
    {
        if (raw.Length == 0)
        {
            return true;
        }

        if (raw[0] == '&' || raw[^1] == '&' || raw.Contains("&&", StringComparison.Ordinal))
        {
            return false;
        }

        var previous = ReadOnlySpan<char>.Empty;
        var first = true;
        foreach (var range in raw.AsSpan().Split('&'))
        {
            var pair = raw.AsSpan(range);
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (!first && previous.SequenceCompareTo(key) > 0)
            {
                return false;
            }

            previous = key;
            first = false;
        }

        return true;
    }

    private static readonly byte[] NullBody = "null"u8.ToArray();

    private static string LocationHeader(string target, IReadOnlyList<string> keys, byte[] body, bool singular)
    {
        using var doc = JsonDocument.Parse(body);
        var row = singular ? doc.RootElement : doc.RootElement[0];
        var parts = keys.Select(k => $"{Uri.EscapeDataString(k)}=eq.{Uri.EscapeDataString(row.TryGetProperty(k, out var v) ? JsonText(v) : "")}");
        return "/" + target + "?" + string.Join('&', parts);
    }

    private static async Task WriteRootAsync(HttpContext http, string schemaName)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/openapi+json; charset=utf-8";
        var doc = new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject { ["title"] = "AutoCRM DevStack REST", ["version"] = "1" },
            ["basePath"] = "/",
            ["schemes"] = new JsonArray("http"),
            ["x-schema"] = schemaName,
            ["paths"] = new JsonObject(),
        };
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.WriteAsync(doc.ToJsonString(), http.RequestAborted).ConfigureAwait(false);
        }
    }

    internal static async Task WriteErrorAsync(HttpContext http, RestException e)
    {
        var response = http.Response;
        if (response.HasStarted)
        {
            http.Abort();
            return;
        }

        response.Clear();
        response.StatusCode = e.Status;
        response.ContentType = JsonType;
        response.Headers["Proxy-Status"] = $"PostgREST; error={e.Code}";
        if (e.Headers is not null)
        {
            foreach (var (k, v) in e.Headers)
            {
                response.Headers[k] = v;
            }
        }
        else if (e.Status == 401)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        var body = new JsonObject
        {
            ["code"] = e.Code,
            ["details"] = e.DetailsNode?.DeepClone() ?? e.Details,
            ["hint"] = e.Hint,
            ["message"] = e.Message,
        };
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await response.WriteAsync(body.ToJsonString(), CancellationToken.None).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Unexpected error in a REST request")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
