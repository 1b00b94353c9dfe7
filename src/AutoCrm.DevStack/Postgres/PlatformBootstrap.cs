using Npgsql;

namespace AutoCrm.DevStack.Postgres;

/// <summary>
/// Gives a plain PostgreSQL what a Supabase database has before any migration (roles, <c>auth</c>, grants,
/// publication, the non-superuser <c>postgres</c> role; docs/protocols.md#database-bootstrap) by running the embedded
/// <c>devstack/bootstrap.sql</c> as the superuser, then enables pg_cron where the server preloads it; all of it idempotent.
/// </summary>
internal static class PlatformBootstrap
{
    internal const string ResourceName = "devstack/bootstrap.sql";

    // Same lock as concurrent DevStack starts against one server would need for the bootstrap itself.
    private const long AdvisoryLockKey = 0x4155_544F_4352_4D02;

    /// <summary>The bootstrap script, or null when this build has none.</summary>
    internal static string? Script => SupabaseProject.ReadResource(typeof(PlatformBootstrap).Assembly, ResourceName);

    /// <summary>Runs the bootstrap script in one transaction; running it again changes nothing.</summary>
    /// <returns>Whether migrations run Supabase-strict here: false when <c>postgres</c> had to stay a superuser.</returns>
    public static async Task<bool> ApplyAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ApplyOnceAsync(adminConnectionString, cancellationToken);
            }
            catch (MigrationException ex) when (attempt < 10 && ex.InnerException is PostgresException pg && IsClusterWideRace(pg))
            {
                // Roles are cluster-wide, advisory locks per database: bootstraps of two databases of one server
                // can collide on the same role rows. The loser retries; the script is idempotent.
            }
        }
    }

    private static bool IsClusterWideRace(PostgresException ex) => ex.SqlState switch
    {
        PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject => true,
        PostgresErrorCodes.InternalError => ex.MessageText.Contains("concurrently", StringComparison.Ordinal),
        _ => false,
    };

    private static async Task<bool> ApplyOnceAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        var script = Script ?? throw new InvalidOperationException($"The embedded resource '{ResourceName}' is missing from {typeof(PlatformBootstrap).Assembly.GetName().Name}.");
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", connection, tx))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var statements = SqlStatementSplitter.Split(script);
        var current = -1;
        try
        {
            await MigrationRunner.ExecuteStatementsAsync(connection, tx, statements, i => current = i, cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new MigrationException("bootstrap.sql", MigrationRunner.LineOf(ex, current, statements, script), ex.SqlState, ex.MessageText, ex);
        }

        await EnablePgCronAsync(connection, tx, cancellationToken);
        await using var strict = new NpgsqlCommand("SELECT NOT rolsuper FROM pg_roles WHERE rolname = 'postgres'", connection, tx);
        var isStrict = (bool)(await strict.ExecuteScalarAsync(cancellationToken))!;
        await tx.CommitAsync(cancellationToken);
        return isStrict;
    }

    /// <summary>
    /// Creates pg_cron, as enabling it in a Supabase project's dashboard does, when this server preloads it and this is
    /// its job database (<c>cron.database_name</c>); other databases of the server cannot hold it.
    /// </summary>
    private static async Task EnablePgCronAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand("""
            SELECT current_setting('cron.database_name', true) = current_database()
               AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron')
               AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')
            """, connection, tx);
        if (await check.ExecuteScalarAsync(cancellationToken) is not true)
        {
            return;
        }

        await using var create = new NpgsqlBatch(connection, tx);
        create.BatchCommands.Add(new NpgsqlBatchCommand($"CREATE EXTENSION pg_cron WITH SCHEMA {PrivilegedStatements.PgCronSchema}"));
        foreach (var statement in PrivilegedStatements.PgCronAfterCreate)
        {
            create.BatchCommands.Add(new NpgsqlBatchCommand(statement));
        }

        await create.ExecuteNonQueryAsync(cancellationToken);
    }
}
