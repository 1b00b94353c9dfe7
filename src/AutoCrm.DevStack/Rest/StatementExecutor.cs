using System.Data;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>Runs a request's statement in one transaction after its setup statement and reads its result.</summary>
internal sealed class StatementExecutor(RestEnvironment environment, RequestSettings settings)
{
    /// <summary>
    /// Runs <paramref name="statement"/> as <paramref name="role"/>; a singular or max-affected write is checked
    /// before its commit and rolled back when the check fails.
    /// </summary>
    public async Task<StatementOutcome> ExecuteAsync(HttpContext http, string schema, RestStatement statement, RequestKind kind, string role, RequestClaims claims, Preferences prefs, ResponseMedia media, SchemaSnapshot snapshot, CancellationToken cancellationToken)
    {
        var singular = media.IsSingular;
        var anonymous = role == environment.AnonRole;
        // Prefer: handling=strict, max-affected=n limits writes and calls (the rows they return), never table reads.
        var checkMax = prefs.Strict == true && prefs.MaxAffected is not null && kind != RequestKind.Read;
        if (checkMax && kind == RequestKind.Call && statement.Shape != ResultShape.Rows)
        {
            throw new RestException(400, "PGRST128", "Function must return SETOF or TABLE when max-affected preference is used with handling=strict");
        }

        // A write ends in ROLLBACK when db-tx-end (or an allowed Prefer: tx=rollback) says so: sent explicitly.
        var rollback = !statement.ReadOnly && snapshot.Config.EndsInRollback(prefs.Rollback, out _);
        var needsCheck = !statement.ReadOnly && (singular || checkMax || rollback);

        await using var connection = await environment.Authenticator.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = connection.CreateBatch();

        // One round trip. Without a check after the statement, no BEGIN/COMMIT is sent: the batch's statements up to
        // its single Sync are one implicit transaction (committed at the Sync, rolled back as a whole on an error),
        // so set_config(…, true) holds for the main statement and READ ONLY is set in the same setup statement.
        if (needsCheck)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.ReadOnly ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY" : "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"));
        }

        batch.BatchCommands.Add(settings.Command(http, schema, role, claims, prefs, snapshot, inlineReadOnly: !needsCheck && statement.ReadOnly));
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
                await using var end = new NpgsqlCommand(fail is null && !rollback ? "COMMIT" : "ROLLBACK", connection);
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

        return new StatementOutcome(total, pageCount, body, headersJson, statusOverride);
    }

    /// <summary>
    /// <c>Accept: application/vnd.pgrst.plan…</c>: the request's statement under EXPLAIN, in the same transaction
    /// setup: the plan's lines (text) or document (json), each followed by a newline.
    /// </summary>
    public async Task<string> ExplainAsync(HttpContext http, string schema, RestStatement statement, PlanRequest plan, string role, RequestClaims claims, Preferences prefs, SchemaSnapshot snapshot, CancellationToken cancellationToken)
    {
        var anonymous = role == environment.AnonRole;
        await using var connection = await environment.Authenticator.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = connection.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.ReadOnly ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY" : "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"));
        batch.BatchCommands.Add(settings.Command(http, schema, role, claims, prefs, snapshot, inlineReadOnly: false));
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

        return text.ToString();
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

    private static RestException MaxAffectedExceeded(long affected) =>
        new(400, "PGRST124", "Query result exceeds max-affected preference constraint", $"The query affects {affected} rows");
}

/// <summary>
/// What a statement gave: the total (when counted), the rows in the page (or affected), the body as UTF-8 JSON, and
/// the headers and status a function set through <c>response.headers</c> / <c>response.status</c>.
/// </summary>
internal readonly record struct StatementOutcome(long? Total, long PageCount, byte[]? Body, string? HeadersJson, string? StatusOverride);
