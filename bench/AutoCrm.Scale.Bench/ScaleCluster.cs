using AutoCrm.DevStack;
using AutoCrm.DevStack.Postgres;
using Npgsql;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// One persistent PostgreSQL cluster under the bench directory holding the bench databases: for each size,
/// <c>scale_&lt;n&gt;_before</c> (every migration before the scale migration, see <see cref="BaselineSchema"/>) and
/// <c>scale_&lt;n&gt;_after</c> (every migration), with the same generated data. Non-durable (fsync off): the data can be
/// regenerated, and loading is faster.
/// </summary>
internal sealed class ScaleCluster : IAsyncDisposable
{
    private readonly LocalCluster _cluster;

    private ScaleCluster(LocalCluster cluster, string directory)
    {
        _cluster = cluster;
        Directory = directory;
    }

    public string Directory { get; }

    public string AdminConnectionString => _cluster.ConnectionString;

    public int? ServerProcessId => _cluster.ServerProcessId;

    public static async Task<ScaleCluster> StartAsync(string directory, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(directory);
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { DataDirectory = Path.Combine(directory, "cluster"), Durable = false }, ct);
        await using (var connection = new NpgsqlConnection(cluster.ConnectionString))
        {
            await connection.OpenAsync(ct);

            // Room for the benchmark's own pools, 50-client runs against two DevStacks, and direct claim sessions.
            await using var command = new NpgsqlCommand("alter system set max_connections = 400; alter system set shared_buffers = '1GB'", connection);
            await command.ExecuteNonQueryAsync(ct);
        }

        return new ScaleCluster(cluster, directory);
    }

    public static string DatabaseName(int tickets, Schema schema) => $"scale_{tickets}_{(schema == Schema.Before ? "before" : "after")}";

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder(_cluster.ConnectionString) { Database = database }.ConnectionString;

    public async Task<bool> ExistsAsync(string database, CancellationToken ct) =>
        await ScalarAsync<bool>(AdminConnectionString, "select exists (select 1 from pg_database where datname = $1)", ct, database);

    public async Task CreateAsync(string database, string? template, CancellationToken ct)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(AdminConnectionString, $"create database \"{database}\"" + (template is null ? "" : $" template \"{template}\""), ct);
        if (template is not null)
        {
            // A copy belongs to whoever created it; migrations run as postgres, which owns the database (and so may create
            // in schema public) on Supabase and after the platform bootstrap.
            await ExecuteAsync(AdminConnectionString, $"alter database \"{database}\" owner to postgres", ct);
        }
    }

    public async Task RenameAsync(string database, string name, CancellationToken ct)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(AdminConnectionString, $"alter database \"{database}\" rename to \"{name}\"", ct);
    }

    public async Task DropAsync(string database, CancellationToken ct)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(AdminConnectionString, $"drop database if exists \"{database}\" with (force)", ct);
    }

    /// <summary>A DevStack serving one bench database, with PostgREST's plan output on (the bench reads the database's own execution time through it).</summary>
    public async Task<DevStackServer> ServeAsync(string database, Schema schema, CancellationToken ct)
    {
        await ExecuteAsync(ConnectionString(database), $"alter role authenticator in database \"{database}\" set pgrst.db_plan_enabled = 'true'", ct);
        return await DevStackServer.StartAsync(
            new DevStackOptions
            {
                DatabaseUrl = ConnectionString(database),
                Seed = false,
                // 50 agents sign in at once from this one process; the sign-in rate limit (on by default) would refuse them.
                EnforceAuthRateLimits = false,
                SupabaseDirectory = schema == Schema.Before ? BaselineSchema.Materialize(Directory) : null,
            },
            ct);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _cluster.DisposeAsync();
    }

    public static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return (T)(await command.ExecuteScalarAsync(ct))!;
    }
}

/// <summary>Which schema a bench database has.</summary>
internal enum Schema
{
    /// <summary>Every migration before the scale migration (<see cref="BaselineSchema.ScaleVersion"/>).</summary>
    Before,

    /// <summary>Every migration of this build.</summary>
    After,
}
