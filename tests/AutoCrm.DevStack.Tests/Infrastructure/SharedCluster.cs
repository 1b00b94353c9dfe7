using AutoCrm.DevStack.Postgres;
using Npgsql;

[assembly: AssemblyFixture(typeof(AutoCrm.DevStack.Tests.Infrastructure.SharedCluster))]

namespace AutoCrm.DevStack.Tests.Infrastructure;

/// <summary>
/// One throwaway PostgreSQL cluster for the whole test assembly. Tests that need isolation create their own
/// database in it (<see cref="CreateDatabaseAsync"/>: a few milliseconds instead of an initdb), optionally with the
/// platform bootstrap and the project's migrations, or start a DevStack attached to such a database.
/// </summary>
public sealed class SharedCluster : IAsyncLifetime
{
    private LocalCluster? _cluster;
    private int _databaseCounter;

    internal LocalCluster Cluster => _cluster ?? throw new InvalidOperationException("The shared cluster has not started.");

    /// <summary>Superuser (<c>supabase_admin</c>) connection string of the cluster's <c>postgres</c> database.</summary>
    public string ConnectionString => Cluster.ConnectionString;

    public async ValueTask InitializeAsync()
    {
        _cluster = await LocalCluster.StartAsync(new LocalClusterOptions(), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Creates an empty database; returns its superuser connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t", CancellationToken cancellationToken = default)
    {
        var full = $"{prefix}_{Interlocked.Increment(ref _databaseCounter)}_{Guid.NewGuid():N}".ToLowerInvariant();
        var name = full[..Math.Min(full.Length, 40)];
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Creates a database with the platform bootstrap (no migrations); returns its superuser connection string.</summary>
    public async Task<string> CreateBootstrappedDatabaseAsync(string prefix = "b", CancellationToken cancellationToken = default)
    {
        var connectionString = await CreateDatabaseAsync(prefix, cancellationToken);
        await PlatformBootstrap.ApplyAsync(connectionString, cancellationToken);
        return connectionString;
    }

    /// <summary>Creates a database with the platform bootstrap and the embedded migrations applied.</summary>
    public async Task<string> CreateMigratedDatabaseAsync(string prefix = "m", bool seed = false, CancellationToken cancellationToken = default)
    {
        var connectionString = await CreateBootstrappedDatabaseAsync(prefix, cancellationToken);
        var project = SupabaseProject.Embedded();
        await MigrationRunner.ApplyAsync(connectionString, project, null, cancellationToken);
        if (seed)
        {
            await MigrationRunner.SeedAsync(connectionString, project, null, cancellationToken);
        }

        return connectionString;
    }

    /// <summary>Starts a DevStack attached to a new database of this cluster (bootstrap + migrations, no seed unless asked).</summary>
    public async Task<DevStackServer> StartDevStackAsync(bool seed = false, CancellationToken cancellationToken = default)
    {
        var connectionString = await CreateDatabaseAsync("ds", cancellationToken);
        return await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = connectionString, Seed = seed, EnforceAuthRateLimits = false }, cancellationToken);
    }
}
