using Npgsql;

namespace AutoCrm.DevStack.Postgres;

/// <summary>The DevStack's two connection pools.</summary>
internal sealed class DatabaseConnections : IAsyncDisposable
{
    public DatabaseConnections(string adminConnectionString, ILoggerFactory loggerFactory)
    {
        // Error details (e.g. the conflicting key of a unique violation) are part of PostgREST's error body.
        AdminConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { IncludeErrorDetail = true }.ConnectionString;
        Admin = new NpgsqlDataSourceBuilder(AdminConnectionString) { Name = "devstack-admin" }.UseLoggerFactory(loggerFactory).Build();
        var authenticator = ConnectionStrings.WithLogin(AdminConnectionString, "authenticator", "postgres");
        Authenticator = new NpgsqlDataSourceBuilder(authenticator) { Name = "devstack-authenticator" }.UseLoggerFactory(loggerFactory).Build();
    }

    /// <summary>Login role <c>authenticator</c>; REST requests switch role with <c>SET LOCAL ROLE</c>.</summary>
    public NpgsqlDataSource Authenticator { get; }

    /// <summary>The superuser <c>postgres</c>; Auth and Realtime internals.</summary>
    public NpgsqlDataSource Admin { get; }

    /// <summary>The superuser connection string (e.g. for replication connections).</summary>
    public string AdminConnectionString { get; }

    public async ValueTask DisposeAsync()
    {
        await Authenticator.DisposeAsync();
        await Admin.DisposeAsync();
    }
}
