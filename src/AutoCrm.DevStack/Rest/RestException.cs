using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>An error answered with PostgREST's JSON body <c>{code,message,details,hint}</c>.</summary>
internal sealed class RestException : Exception
{
    public RestException(int status, string code, string message, string? details = null, string? hint = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Details = details;
        Hint = hint;
    }

    public RestException()
        : this(500, "PGRST000", "Internal error")
    {
    }

    public RestException(string message)
        : this(500, "PGRST000", message)
    {
    }

    public RestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
        Code = "PGRST000";
    }

    public int Status { get; }

    public string Code { get; }

    public string? Details { get; }

    public string? Hint { get; }

    /// <summary>A structured <c>details</c> value (PGRST201's list of relationships); wins over <see cref="Details"/>.</summary>
    public System.Text.Json.Nodes.JsonNode? DetailsNode { get; init; }

    /// <summary>Extra response headers (WWW-Authenticate for JWT errors).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public static RestException Parse(string what, string input, int position, string details) =>
        new(400, "PGRST100", $"\"failed to parse {what} ({input})\" (line 1, column {position + 1})", details);

    public static RestException UndefinedColumn(string table, string column) =>
        new(400, "42703", $"column {table}.{column} does not exist");

    public static RestException UnknownColumnInBody(string column, string table) =>
        new(400, "PGRST204", $"Could not find the '{column}' column of '{table}' in the schema cache");

    public static RestException InvalidBody(string message) => new(400, "PGRST102", message);

    /// <summary>Maps a PostgreSQL error to PostgREST's status and body (docs/protocols.md#postgrest-errors).</summary>
    public static RestException FromPostgres(PostgresException e, bool anonymous)
    {
        var state = e.SqlState;
        if (state == "PGRST")
        {
            return FromRaisedPgrst(e);
        }

        var status = StatusFor(state, e.MessageText, anonymous);
        return new RestException(status, state, e.MessageText, e.Detail, e.Hint);
    }

    public static RestException FromNpgsql(NpgsqlException e) =>
        e.InnerException is TimeoutException || e.Message.Contains("pool", StringComparison.OrdinalIgnoreCase)
            ? new RestException(504, "PGRST003", "Timed out acquiring connection from connection pool.")
            : new RestException(503, "PGRST001", "Database client error. Retrying the connection.", e.Message);

    internal static int StatusFor(string state, string message, bool anonymous)
    {
        if (state.Length == 5 && state.StartsWith("PT", StringComparison.Ordinal)
            && int.TryParse(state.AsSpan(2), out var custom))
        {
            return custom;
        }

        return state switch
        {
            "21000" => message.Contains("requires a WHERE clause", StringComparison.Ordinal) ? 400 : 500,
            "22023" => message.StartsWith("role ", StringComparison.Ordinal) && message.EndsWith("does not exist", StringComparison.Ordinal) ? 401 : 400,
            "23503" or "23505" => 409,
            "25006" => 405,
            "42883" or "42P01" => 404,
            "42P17" => 500,
            "42501" => anonymous ? 401 : 403,
            "53400" => 500,
            "57P01" => 503,
            "P0001" => 400,
            _ => ClassStatus(state),
        };
    }

    private static int ClassStatus(string state)
    {
        var cls = state.Length >= 2 ? state[..2] : state;
        return cls switch
        {
            "08" => 503,
            "09" => 500,
            "0L" or "0P" => 403,
            "25" or "2D" or "38" or "39" or "3B" or "40" => 500,
            "28" => 403,
            "53" => 503,
            "54" or "55" or "57" or "58" or "F0" or "HV" or "XX" => 500,
            "P0" => 500,
            _ => 400,
        };
    }

    private static RestException FromRaisedPgrst(PostgresException e)
    {
        try
        {
            using var body = System.Text.Json.JsonDocument.Parse(e.MessageText);
            using var detail = System.Text.Json.JsonDocument.Parse(e.Detail ?? "{}");
            var root = body.RootElement;
            var status = detail.RootElement.TryGetProperty("status", out var s) && s.TryGetInt32(out var st) ? st : 400;
            Dictionary<string, string>? headers = null;
            if (detail.RootElement.TryGetProperty("headers", out var h) && h.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                headers = [];
                foreach (var p in h.EnumerateObject())
                {
                    headers[p.Name] = p.Value.ToString();
                }
            }

            return new RestException(status, Str(root, "code") ?? "", Str(root, "message") ?? "", Str(root, "details"), Str(root, "hint")) { Headers = headers };
        }
        catch (System.Text.Json.JsonException)
        {
            return new RestException(500, "PGRST121", "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error", e.MessageText);
        }

        static string? Str(System.Text.Json.JsonElement e, string name) =>
            e.ValueKind == System.Text.Json.JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
    }
}
