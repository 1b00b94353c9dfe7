using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoCrm.DevStack.Postgres;

/// <summary>
/// Applies <c>supabase/migrations</c> like the Supabase CLI: in version order, each file in its own transaction,
/// recorded in <c>supabase_migrations.schema_migrations(version, name, statements)</c>; seed files are recorded in
/// <c>supabase_migrations.seed_files(path, hash)</c>. Files run as Supabase's non-superuser <c>postgres</c> role (the
/// platform bootstrap creates it), so a statement Supabase would refuse fails here too; the few statements Supabase
/// runs as the superuser on postgres's behalf are routed by <see cref="PrivilegedStatements"/>.
/// </summary>
internal static partial class MigrationRunner
{
    internal const string SeedPath = "supabase/seed.sql";

    // Serialises concurrent runners against one database (two DevStacks attached to the same server).
    private const long AdvisoryLockKey = 0x4155_544F_4352_4D01;

    private const string HistoryDdl = """
        CREATE SCHEMA IF NOT EXISTS supabase_migrations;
        CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
        ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
        ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
        CREATE TABLE IF NOT EXISTS supabase_migrations.seed_files (path text NOT NULL PRIMARY KEY, hash text NOT NULL);
        """;

    /// <summary>Applies the migrations not yet recorded; returns the versions applied now.</summary>
    /// <exception cref="MigrationException">A file failed: it was rolled back, earlier files stay applied.</exception>
    public static async Task<IReadOnlyList<string>> ApplyAsync(string adminConnectionString, SupabaseProject project, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        logger ??= NullLogger.Instance;
        await using var connection = new NpgsqlConnection(WithoutCommandTimeout(adminConnectionString));
        await connection.OpenAsync(cancellationToken);
        await LockAsync(connection, cancellationToken);
        try
        {
            var applied = new HashSet<string>(await AppliedVersionsAsync(connection, cancellationToken), StringComparer.Ordinal);
            var appliedNow = new List<string>();
            foreach (var migration in project.Migrations)
            {
                if (applied.Contains(migration.Version))
                {
                    continue;
                }

                var statements = SqlStatementSplitter.Split(migration.Sql);
                await RunFileAsync(connection, migration.FileName, migration.Sql, statements, logger, async (tx, ct) =>
                {
                    await using var record = new NpgsqlCommand(
                        "INSERT INTO supabase_migrations.schema_migrations (version, name, statements) VALUES ($1, $2, $3)", connection, tx);
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
                    record.Parameters.Add(new NpgsqlParameter { Value = statements.Select(s => s.Text).ToArray() });
                    await record.ExecuteNonQueryAsync(ct);
                }, cancellationToken);
                Log.MigrationApplied(logger, migration.FileName);
                appliedNow.Add(migration.Version);
            }

            return appliedNow;
        }
        finally
        {
            await UnlockAsync(connection);
        }
    }

    /// <summary>Runs <c>seed.sql</c> in one transaction and records it; false when the project has no seed.</summary>
    public static async Task<bool> SeedAsync(string adminConnectionString, SupabaseProject project, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        logger ??= NullLogger.Instance;
        if (project.SeedSql is not { } seed)
        {
            return false;
        }

        await using var connection = new NpgsqlConnection(WithoutCommandTimeout(adminConnectionString));
        await connection.OpenAsync(cancellationToken);
        await LockAsync(connection, cancellationToken);
        try
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));
            await RunFileAsync(connection, "seed.sql", seed, SqlStatementSplitter.Split(seed), logger, async (tx, ct) =>
            {
                await using var record = new NpgsqlCommand(
                    "INSERT INTO supabase_migrations.seed_files (path, hash) VALUES ($1, $2) ON CONFLICT (path) DO UPDATE SET hash = excluded.hash", connection, tx);
                record.Parameters.Add(new NpgsqlParameter { Value = SeedPath });
                record.Parameters.Add(new NpgsqlParameter { Value = hash });
                await record.ExecuteNonQueryAsync(ct);
            }, cancellationToken);
            Log.Seeded(logger, project.Source);
            return true;
        }
        finally
        {
            await UnlockAsync(connection);
        }
    }

    /// <summary>
    /// A migration or seed statement runs as long as it needs: an index or backfill over a large table takes minutes,
    /// and a client-side timeout (Npgsql's 30 s by default, or the caller's) would roll the whole file back and stop the
    /// server from starting. Cancellation still stops it.
    /// </summary>
    internal static string WithoutCommandTimeout(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 }.ConnectionString;

    /// <summary>The recorded migration versions, in order; empty when there is no history table yet.</summary>
    public static async Task<IReadOnlyList<string>> AppliedVersionsAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
        {
            return [];
        }

        return await AppliedVersionsAsync(connection, cancellationToken);
    }

    private static async Task<List<string>> AppliedVersionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version FROM supabase_migrations.schema_migrations ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(reader.GetString(0));
        }

        return versions;
    }

    private static async Task LockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({AdvisoryLockKey})", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await using var ddl = new NpgsqlCommand(HistoryDdl, connection);
        await ddl.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task UnlockAsync(NpgsqlConnection connection)
    {
        if (connection.State == System.Data.ConnectionState.Open)
        {
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLockKey}); RESET ALL", connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task RunFileAsync(
        NpgsqlConnection connection,
        string fileName,
        string script,
        IReadOnlyList<SqlStatement> statements,
        ILogger logger,
        Func<NpgsqlTransaction, CancellationToken, Task> record,
        CancellationToken cancellationToken)
    {
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var current = -1;
        try
        {
            await BecomeMigrationRoleAsync(connection, tx, resetSearchPath: true, cancellationToken);
            for (var i = 0; i < statements.Count; i++)
            {
                current = i;
                var plan = PrivilegedStatements.Plan(statements[i].Text);
                switch (plan.Route)
                {
                    case StatementRoute.Refused:
                        throw new MigrationException(fileName, LineOf(null, i, statements, script), PostgresErrorCodes.InsufficientPrivilege, plan.Reason!, null);
                    case StatementRoute.Superuser:
                        // supautils' way: the superuser runs it for postgres within the same transaction, then hands back.
                        await ExecuteAsync(connection, tx, "SET LOCAL SESSION AUTHORIZATION DEFAULT", cancellationToken);
                        await ExecuteAsync(connection, tx, plan.Text, cancellationToken);
                        foreach (var after in plan.AfterStatements ?? [])
                        {
                            await ExecuteAsync(connection, tx, after, cancellationToken);
                        }

                        await BecomeMigrationRoleAsync(connection, tx, resetSearchPath: false, cancellationToken);
                        Log.RanAsSuperuser(logger, fileName, SqlStatementSplitter.LineOf(script, statements[i].Offset));
                        break;
                    default:
                        await ExecuteAsync(connection, tx, plan.Text, cancellationToken);
                        break;
                }
            }

            current = -1;
            await record(tx, cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            await SafeRollbackAsync(tx);
            var advice = ex.SqlState == PostgresErrorCodes.InsufficientPrivilege
                ? $"{(ex.Hint is { Length: > 0 } hint ? hint + " " : string.Empty)}Migrations run as Supabase's postgres role, which is not a superuser: what fails here fails on `supabase db push` too (docs/deploy.md, \"The postgres role\")."
                : null;
            throw new MigrationException(fileName, LineOf(ex, current, statements, script), ex.SqlState, ex.MessageText, ex, advice);
        }
        catch (MigrationException)
        {
            await SafeRollbackAsync(tx);
            throw;
        }
        catch
        {
            await SafeRollbackAsync(tx);
            throw;
        }
        finally
        {
            // A file may SET things (search_path, role); the next file starts clean as with a fresh CLI session.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await using var reset = new NpgsqlCommand("RESET ALL", connection);
                await reset.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Makes the rest of the transaction run as the migration role: a session authorization, not a role, so that
    /// <c>SET ROLE</c> inside a migration is checked against postgres's memberships as on Supabase.
    /// </summary>
    private static async Task BecomeMigrationRoleAsync(NpgsqlConnection connection, NpgsqlTransaction tx, bool resetSearchPath, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, tx, $"SET LOCAL SESSION AUTHORIZATION {ConnectionStrings.MigrationRoleName}", cancellationToken);
        if (resetSearchPath)
        {
            // A login as postgres would get its role setting; a session authorization does not, so set the same path.
            await ExecuteAsync(connection, tx, "SET LOCAL search_path = \"$user\", public, extensions", cancellationToken);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        // A batch command is sent as is: no parameter rewriting, so "$1" inside bodies stays untouched.
        await using var batch = new NpgsqlBatch(connection, tx);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs each statement on its own (so a failure maps to its statement), reporting the current index.</summary>
    internal static async Task ExecuteStatementsAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction tx,
        IReadOnlyList<SqlStatement> statements,
        Action<int> onStatement,
        CancellationToken cancellationToken)
    {
        for (var i = 0; i < statements.Count; i++)
        {
            onStatement(i);
            await ExecuteAsync(connection, tx, statements[i].Text, cancellationToken);
        }

        onStatement(-1);
    }

    internal static int? LineOf(PostgresException? ex, int index, IReadOnlyList<SqlStatement> statements, string script)
    {
        if (index < 0 || index >= statements.Count)
        {
            return null;
        }

        var statement = statements[index];
        var position = ex?.Position > 0 ? ex.Position - 1 : 0;
        return SqlStatementSplitter.LineOf(script, statement.Offset + Math.Min(position, statement.Text.Length));
    }

    private static async Task SafeRollbackAsync(NpgsqlTransaction tx)
    {
        try
        {
            await tx.RollbackAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The connection broke; the server rolled back.
        }
        catch (InvalidOperationException)
        {
            // Already completed.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1101, LogLevel.Information, "Applied migration {FileName}")]
        public static partial void MigrationApplied(ILogger logger, string fileName);

        [LoggerMessage(1102, LogLevel.Information, "Seeded the database from {Source}")]
        public static partial void Seeded(ILogger logger, string source);

        [LoggerMessage(1103, LogLevel.Debug, "{FileName}:{Line} ran as the superuser on postgres's behalf, as Supabase does for it")]
        public static partial void RanAsSuperuser(ILogger logger, string fileName, int line);
    }
}
