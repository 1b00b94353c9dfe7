using System.Text.Json;

namespace AutoCrm.Sdk.Internal;

/// <summary>
/// Tells "the database is older than this SDK" apart from an ordinary missing function or table. It runs lazily, the
/// first time the server says that something <see cref="CrmSchema"/> lists does not exist, asks
/// <c>deployment_status()</c> once per connection which migrations are applied, and from then on turns those errors
/// into a <see cref="CrmException"/> with code <c>schema_version_mismatch</c> naming the missing migration.
/// </summary>
internal sealed class SchemaVersionCheck(CrmConnection connection)
{
    /// <summary>The SDK code of the error (see docs/sdk-conventions.md, "Adding a failure kind").</summary>
    public const string Code = "schema_version_mismatch";

    private const string RpcPrefix = "rest/v1/rpc/";
    private const string TablePrefix = "rest/v1/";

    /// <summary>PostgREST's "not in the schema cache" codes and PostgreSQL's undefined function and table.</summary>
    private static readonly HashSet<string> MissingObjectCodes = new(StringComparer.Ordinal) { "PGRST202", "PGRST205", "42883", "42P01" };

    /// <summary>The one check of this connection: <see langword="true"/> when the minimum migration is applied (or
    /// the project keeps no migration history to compare with). Reset after a failed check so a later error asks again.</summary>
    private Lazy<Task<bool>>? _upToDate;

    /// <summary>Whether <paramref name="error"/> says that a function or table the SDK needs is missing.</summary>
    public bool MayMeanOldSchema(CrmRequest request, CrmException error) =>
        !request.IsAuth
        && !request.IsSchemaCheck
        && error.Code is { } code && MissingObjectCodes.Contains(code)
        && (request.AcceptProfile ?? request.ContentProfile ?? connection.Schema) == connection.Schema
        && NeededObject(request.LogPath);

    /// <summary>The error to throw for <paramref name="error"/>: a <c>schema_version_mismatch</c> when the database
    /// lacks the SDK's minimum migration, otherwise <paramref name="error"/> itself.</summary>
    public async Task<CrmException> ExplainAsync(CrmException error, CancellationToken cancellationToken)
    {
        var check = Volatile.Read(ref _upToDate);
        if (check is null)
        {
            var candidate = new Lazy<Task<bool>>(CheckAsync);
            check = Interlocked.CompareExchange(ref _upToDate, candidate, null) ?? candidate;
        }

        bool upToDate;
        try
        {
            upToDate = await check.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CrmException)
        {
            // The check itself failed (network, timeout): report the original error and ask again next time.
            Interlocked.CompareExchange(ref _upToDate, null, check);
            return error;
        }

        return upToDate ? error : Mismatch(error);
    }

    private async Task<bool> CheckAsync()
    {
        var request = new CrmRequest
        {
            Method = HttpMethod.Get,
            PathAndQuery = RpcPrefix + "deployment_status",
            LogPath = RpcPrefix + "deployment_status",
            AcceptProfile = connection.Schema,
            Retryable = true,
            IsSchemaCheck = true,
        };
        try
        {
            using var response = await connection.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(CancellationToken.None).ConfigureAwait(false));
            if (!document.RootElement.TryGetProperty("migrations", out var migrations) || migrations.ValueKind != JsonValueKind.Array)
            {
                return true; // no Supabase CLI history: nothing to compare with
            }

            foreach (var version in migrations.EnumerateArray())
            {
                if (version.ValueKind == JsonValueKind.String && version.GetString() == CrmSchema.MinimumVersion)
                {
                    return true;
                }
            }

            return false;
        }
        catch (CrmException ex) when (ex.Code is "PGRST202" or "42883")
        {
            return false; // deployment_status() comes with the minimum migration: without it the database is older
        }
        catch (JsonException)
        {
            return true; // an answer this SDK cannot read proves nothing about the schema
        }
    }

    private static CrmException Mismatch(CrmException error) => new(new CrmErrorInfo
    {
        Status = error.Status,
        Code = Code,
        Message = $"The database is older than this SDK expects: migration {CrmSchema.MinimumMigration} is not applied. " +
                  "Apply the project's migrations (supabase db push).",
        Details = $"{error.Status} {error.Code}: {error.Message}",
        Hint = error.Hint,
        RequestId = error.RequestId,
        IsTransient = false,
    });

    private static bool NeededObject(string logPath)
    {
        if (logPath.StartsWith(RpcPrefix, StringComparison.Ordinal))
        {
            return CrmSchema.Functions.Contains(logPath[RpcPrefix.Length..], StringComparer.Ordinal);
        }

        return logPath.StartsWith(TablePrefix, StringComparison.Ordinal)
            && CrmSchema.Tables.Contains(logPath[TablePrefix.Length..], StringComparer.Ordinal);
    }
}
