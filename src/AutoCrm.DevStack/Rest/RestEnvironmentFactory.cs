using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Security;
using Npgsql;

namespace AutoCrm.DevStack.Rest;

/// <summary>Builds the <see cref="RestEnvironment"/> from the host's services.</summary>
internal static class RestEnvironmentFactory
{
    public static RestEnvironment Create(IServiceProvider services)
    {
        var connections = services.GetRequiredService<DatabaseConnections>();
        var settings = services.GetRequiredService<DevStackSettings>();
        var jwt = services.GetRequiredService<JwtService>();
        var pool = services.GetRequiredService<RestConnectionPool>();
        return new RestEnvironment
        {
            Authenticator = pool.DataSource,
            Admin = connections.Admin,
            Schemas = settings.Schemas,
            ExtraSearchPath = settings.ExtraSearchPath,
            MaxRows = () => settings.MaxRows,
            ValidateJwt = token => Map(jwt.Validate(token)),
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
        };
    }

    internal static RestJwtResult Map(JwtValidationResult result) => result.Failure switch
    {
        JwtFailure.None when result.Claims is { } claims => RestJwtResult.Valid(claims),
        JwtFailure.Expired => RestJwtResult.Invalid("PGRST303", result.Message ?? "JWT expired"),
        JwtFailure.NotYetValid => RestJwtResult.Invalid("PGRST303", result.Message ?? "JWT not yet valid"),
        JwtFailure.Missing => RestJwtResult.Invalid("PGRST301", "Empty JWT is sent in Authorization header"),
        _ => RestJwtResult.Invalid("PGRST301", result.Message ?? "JWT cryptographic operation failed"),
    };
}

/// <summary>
/// The REST service's own <c>authenticator</c> pool: the same login as DatabaseConnections.Authenticator, with
/// Npgsql automatic preparation on, so each statement shape is parsed and planned once per connection.
/// </summary>
internal sealed class RestConnectionPool : IAsyncDisposable
{
    public RestConnectionPool(DatabaseConnections connections, ILoggerFactory loggerFactory)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.WithLogin(connections.AdminConnectionString, "authenticator", "postgres"))
        {
            MaxAutoPrepare = 256,
            AutoPrepareMinUsages = 2,
            IncludeErrorDetail = true,
            ApplicationName = "devstack-rest",
        };
        DataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = "devstack-rest" }.UseLoggerFactory(loggerFactory).Build();
    }

    public NpgsqlDataSource DataSource { get; }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
