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

        // Automatic preparation: each statement shape a connection runs twice is parsed and planned once per
        // connection from then on (REST's per-request statements repeat a handful of shapes).
        var authenticator = new NpgsqlConnectionStringBuilder(ConnectionStrings.WithLogin(AdminConnectionString, "authenticator", "postgres"))
        {
            MaxAutoPrepare = 256,
            AutoPrepareMinUsages = 2,
            ApplicationName = "devstack-authenticator",
        };
        Authenticator = new NpgsqlDataSourceBuilder(authenticator.ConnectionString) { Name = "devstack-authenticator" }.UseLoggerFactory(loggerFactory).Build();
    }

    /// <summary>
    /// Login role <c>authenticator</c> with automatic preparation; REST requests switch role with <c>SET LOCAL ROLE</c>.
    /// The one authenticator pool of the DevStack.
    /// </summary>
    public NpgsqlDataSource Authenticator { get; }

    /// <summary>The platform superuser (<c>supabase_admin</c>); Auth and Realtime internals, as Supabase's own services.</summary>
    public NpgsqlDataSource Admin { get; }

    /// <summary>The superuser connection string (e.g. for replication connections).</summary>
    public string AdminConnectionString { get; }

    public async ValueTask DisposeAsync()
    {
        await Authenticator.DisposeAsync();
        await Admin.DisposeAsync();
    }
}
