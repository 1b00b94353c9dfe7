using Npgsql;

namespace AutoCrm.DevStack.Postgres;

/// <summary>
/// Gives a plain PostgreSQL what a Supabase database has before any migration (roles, <c>auth</c>, grants,
/// publication; docs/protocols.md#database-bootstrap) by running the embedded <c>devstack/bootstrap.sql</c>, which is idempotent.
/// </summary>
internal static class PlatformBootstrap
{
    internal const string ResourceName = "devstack/bootstrap.sql";

    // Same lock as concurrent DevStack starts against one server would need for the bootstrap itself.
    private const long AdvisoryLockKey = 0x4155_544F_4352_4D02;

    /// <summary>The bootstrap script, or null when this build has none.</summary>
    internal static string? Script => SupabaseProject.ReadResource(typeof(PlatformBootstrap).Assembly, ResourceName);

    /// <summary>Runs the bootstrap script in one transaction; running it again changes nothing.</summary>
    public static async Task ApplyAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ApplyOnceAsync(adminConnectionString, cancellationToken);
                return;
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

    private static async Task ApplyOnceAsync(string adminConnectionString, CancellationToken cancellationToken)
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

        await tx.CommitAsync(cancellationToken);
    }
}
