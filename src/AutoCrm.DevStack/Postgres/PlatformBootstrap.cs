using Npgsql;

namespace AutoCrm.DevStack.Postgres;

/// <summary>
/// Gives a plain PostgreSQL what a Supabase database has before any migration (roles, <c>auth</c>, grants,
/// publication; PROTOCOLS.md §5) by running the embedded <c>devstack/bootstrap.sql</c>, which is idempotent.
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
        var script = Script ?? throw new InvalidOperationException($"The embedded resource '{ResourceName}' is missing from {typeof(PlatformBootstrap).Assembly.GetName().Name}.");
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", connection, tx))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var statements = SqlStatementSplitter.Split(script);
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            foreach (var statement in statements)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.Text));
            }

            if (batch.BatchCommands.Count > 0)
            {
                try
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException ex) when (ex.BatchCommand is not null)
                {
                    var index = batch.BatchCommands.IndexOf(ex.BatchCommand);
                    var line = index >= 0 ? SqlStatementSplitter.LineOf(script, statements[index].Offset + Math.Max(0, ex.Position - 1)) : (int?)null;
                    throw new MigrationException("bootstrap.sql", line, ex.SqlState, ex.MessageText, ex);
                }
            }
        }

        await tx.CommitAsync(cancellationToken);
    }
}
