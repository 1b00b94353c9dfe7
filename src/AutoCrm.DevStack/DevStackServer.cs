using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using AutoCrm.DevStack.Auth;
using AutoCrm.DevStack.Gateway;
using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Realtime;
using AutoCrm.DevStack.Rest;
using AutoCrm.DevStack.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoCrm.DevStack;

/// <summary>
/// A running DevStack: a local PostgreSQL (or an attached one) with the platform bootstrap and the project's
/// migrations, served over HTTP with Supabase's REST (<c>/rest/v1</c>), Auth (<c>/auth/v1</c>) and Realtime
/// (<c>/realtime/v1</c>) protocols, so that supabase-js and the AutoCRM SDK work against it.
/// </summary>
/// <example>
/// <code>
/// await using var stack = await DevStackServer.StartAsync();
/// // stack.Url, stack.AnonKey, stack.ServiceRoleKey, stack.DatabaseUrl
/// </code>
/// </example>
public sealed partial class DevStackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LocalCluster _cluster;
    private readonly DatabaseConnections _connections;
    private readonly ILogger _logger;
    private int _disposed;

    private DevStackServer(WebApplication app, LocalCluster cluster, DatabaseConnections connections, Uri url, ProjectKeys keys, ILogger logger)
    {
        _app = app;
        _cluster = cluster;
        _connections = connections;
        Url = url;
        AnonKey = keys.AnonKey;
        ServiceRoleKey = keys.ServiceRoleKey;
        AdminDatabaseUrl = ConnectionStrings.ToUrl(cluster.ConnectionString);
        DatabaseUrl = ConnectionStrings.ToUrl(ConnectionStrings.WithLogin(cluster.ConnectionString, ConnectionStrings.MigrationRoleName, ConnectionStrings.LocalPassword));
        _logger = logger;
    }

    /// <summary>The API base URL, e.g. <c>http://127.0.0.1:54321</c> (what supabase-js takes as the project URL).</summary>
    public Uri Url { get; }

    /// <summary>The anon API key (a JWT signed with the configured secret).</summary>
    public string AnonKey { get; }

    /// <summary>The service_role API key (a JWT signed with the configured secret; bypasses row-level security).</summary>
    public string ServiceRoleKey { get; }

    /// <summary>
    /// The database URL of the project owner role, e.g. <c>postgresql://postgres:postgres@127.0.0.1:54322/postgres</c>
    /// (what <c>supabase status</c> prints): <c>postgres</c> is not a superuser, as on Supabase.
    /// </summary>
    public string DatabaseUrl { get; }

    /// <summary>
    /// The platform superuser's database URL (<c>supabase_admin</c> for a local cluster): for tools that stand in for
    /// Supabase's own services, such as a second DevStack attached to this database. Migrations never use it.
    /// </summary>
    public string AdminDatabaseUrl { get; }

    /// <summary>The web application's service container.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts PostgreSQL (a throwaway cluster unless <see cref="DevStackOptions.DataDirectory"/> or
    /// <see cref="DevStackOptions.DatabaseUrl"/> says otherwise), applies the platform bootstrap and the migrations,
    /// seeds a newly created database, and serves HTTP on 127.0.0.1.
    /// </summary>
    /// <param name="options">How to start; null = all defaults (throwaway cluster, any free port).</param>
    /// <param name="cancellationToken">Cancels the start; whatever was started is stopped again.</param>
    /// <returns>The running server; dispose it to stop everything it started.</returns>
    /// <exception cref="InvalidOperationException">PostgreSQL binaries are missing, or a migration failed.</exception>
    public static async Task<DevStackServer> StartAsync(DevStackOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DevStackOptions();
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Port must be between 0 and 65535.");
        }

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<DevStackServer>();
        var project = options.SupabaseDirectory is null ? SupabaseProject.Embedded() : SupabaseProject.FromDirectory(options.SupabaseDirectory);

        LocalCluster cluster;
        if (options.DatabaseUrl is not null)
        {
            cluster = LocalCluster.Attach(await SuperuserLoginAsync(options.DatabaseUrl, cancellationToken));
        }
        else
        {
            cluster = await LocalCluster.StartAsync(
                new LocalClusterOptions { DataDirectory = options.DataDirectory, Reset = options.Reset, Logger = loggerFactory.CreateLogger<LocalCluster>() },
                cancellationToken);
        }

        DatabaseConnections? connections = null;
        WebApplication? app = null;
        try
        {
            var hadHistory = (await MigrationRunner.AppliedVersionsAsync(cluster.ConnectionString, cancellationToken)).Count > 0;
            if (!await PlatformBootstrap.ApplyAsync(cluster.ConnectionString, cancellationToken))
            {
                Log.NotStrict(logger);
            }

            var applied = await MigrationRunner.ApplyAsync(cluster.ConnectionString, project, loggerFactory.CreateLogger(typeof(MigrationRunner)), cancellationToken);
            Log.MigrationsApplied(logger, applied.Count, project.Source);

            // "Just created": a new local cluster, or an attached database that had no migration history.
            var justCreated = cluster.OwnsServer ? cluster.CreatedNow : !hadHistory;
            if (options.Seed && justCreated)
            {
                await MigrationRunner.SeedAsync(cluster.ConnectionString, project, loggerFactory.CreateLogger(typeof(MigrationRunner)), cancellationToken);
            }

            connections = new DatabaseConnections(cluster.ConnectionString, loggerFactory);
            await NotifySchemaReloadAsync(connections, cancellationToken);

            var secret = ProjectSecret.Resolve(options);
            var jwt = new JwtService(secret, options.TimeProvider);
            var keys = CreateKeys(secret, jwt);
            (app, var url) = await StartWebAsync(options, project, connections, secret, jwt, keys, loggerFactory, cancellationToken);
            Log.Started(logger, url, cluster.Port);
            return new DevStackServer(app, cluster, connections, url, keys, logger);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (connections is not null)
            {
                await connections.DisposeAsync();
            }

            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the web server, then the PostgreSQL cluster it started (throwaway data is deleted).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
            await _connections.DisposeAsync();
            await _cluster.DisposeAsync();
            Log.Stopped(_logger, Url);
        }
    }

    /// <summary>
    /// The login the DevStack attaches with must be a superuser (it creates platform roles and a replication slot).
    /// Given the <c>postgres</c> URL another DevStack printed, it logs in as that server's <c>supabase_admin</c> with
    /// the same password instead, as Supabase's own services do.
    /// </summary>
    private static async Task<string> SuperuserLoginAsync(string databaseUrl, CancellationToken cancellationToken)
    {
        var given = ConnectionStrings.Normalize(databaseUrl);
        if (await IsSuperuserAsync(given, cancellationToken))
        {
            return given;
        }

        var builder = new NpgsqlConnectionStringBuilder(given);
        var admin = ConnectionStrings.WithLogin(given, ConnectionStrings.SuperuserName, builder.Password ?? ConnectionStrings.LocalPassword);
        try
        {
            if (await IsSuperuserAsync(admin, cancellationToken))
            {
                return admin;
            }
        }
        catch (PostgresException)
        {
            // Reported below with the login that was given.
        }

        throw new InvalidOperationException(
            $"The database login '{builder.Username}' is not a superuser, and '{ConnectionStrings.SuperuserName}' could not log in with the same password. "
            + "Attaching a DevStack needs a superuser login: it creates the platform roles and a replication slot (migrations still run as the non-superuser postgres).");
    }

    private static async Task<bool> IsSuperuserAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", connection);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static ProjectKeys CreateKeys(string secret, JwtService jwt)
    {
        if (secret == DevStackDefaults.JwtSecret)
        {
            return new ProjectKeys(DevStackDefaults.AnonKey, DevStackDefaults.ServiceRoleKey, DevStackDefaults.PublishableKey, DevStackDefaults.SecretKey);
        }

        string Key(string role) => jwt.Issue(new Dictionary<string, object?> { ["iss"] = "supabase-demo", ["role"] = role, ["exp"] = DevStackDefaults.DemoKeyExpiry });

        // The opaque keys follow the secret too (the demo ones are public): derived from it, so they need no storage.
        string Opaque(string prefix) =>
            prefix + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(prefix)))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_')[..31];
        return new ProjectKeys(Key("anon"), Key("service_role"), Opaque("sb_publishable_"), Opaque("sb_secret_"));
    }

    private static async Task NotifySchemaReloadAsync(DatabaseConnections connections, CancellationToken cancellationToken)
    {
        await using var command = connections.Admin.CreateCommand("NOTIFY pgrst, 'reload schema'");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<(WebApplication App, Uri Url)> StartWebAsync(
        DevStackOptions options,
        SupabaseProject project,
        DatabaseConnections connections,
        string secret,
        JwtService jwt,
        ProjectKeys keys,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            // Bind an explicit port so the settings (ApiUrl, JWT issuer) are known before the container is built.
            var port = options.Port != 0 ? options.Port : LocalCluster.FreeTcpPort();
            var apiUrl = $"http://127.0.0.1:{port}";
            var settings = DevStackSettings.FromConfigToml(project.ConfigToml, secret, apiUrl) with
            {
                EnforceAuthRateLimits = options.EnforceAuthRateLimits,
                RequireApiKey = options.RequireApiKey,
            };
            if (options.CorsOrigins is { } corsOrigins)
            {
                settings = settings with { CorsOrigins = corsOrigins };
            }

            if (options.Schemas is { Count: > 0 } schemas)
            {
                settings = settings with { Schemas = schemas };
            }
            var app = Build(options, settings, connections, jwt, keys, loggerFactory, port);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex) when (options.Port == 0 && attempt < 5 && ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                await app.DisposeAsync();
                continue;
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }

            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            var url = bound is null ? new Uri(apiUrl) : new Uri(bound.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
            return (app, url);
        }
    }

    private static WebApplication Build(
        DevStackOptions options,
        DevStackSettings settings,
        DatabaseConnections connections,
        JwtService jwt,
        ProjectKeys keys,
        ILoggerFactory loggerFactory,
        int port)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DevStackServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        // Open websockets must not hold a dispose for the default 30 s.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddLogging();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddRouting();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(connections);
        builder.Services.AddSingleton(jwt);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(options.TimeProvider);
        builder.Services.AddSingleton(options.RealtimeLimits);
        builder.Services.AddDevStackRest();
        builder.Services.AddDevStackAuth();
        builder.Services.AddDevStackRealtime();

        var app = builder.Build();
        app.UseMiddleware<GatewayMiddleware>();
        app.UseWebSockets();
        app.UseRouting();
        app.MapDevStackRest();
        app.MapDevStackAuth();
        app.MapDevStackRealtime();
        return app;
    }

    private static partial class Log
    {
        [LoggerMessage(1301, LogLevel.Information, "Applied {Count} new migration(s) from {Source}")]
        public static partial void MigrationsApplied(ILogger logger, int count, string source);

        [LoggerMessage(1302, LogLevel.Information, "DevStack listening on {Url} (PostgreSQL on port {DbPort})")]
        public static partial void Started(ILogger logger, Uri url, int dbPort);

        [LoggerMessage(1303, LogLevel.Information, "DevStack on {Url} stopped")]
        public static partial void Stopped(ILogger logger, Uri url);

        [LoggerMessage(1304, LogLevel.Warning, "The role postgres is a superuser on this server (a data directory made by an older DevStack, or a server attached as postgres): migrations are not checked against Supabase's privileges. Recreate the data directory with --reset, or attach with another superuser login.")]
        public static partial void NotStrict(ILogger logger);
    }

    /// <summary>Test hook: closes every Realtime websocket abruptly (no close frame), as a dropped network would.</summary>
    /// <returns>How many sockets were closed.</returns>
    public int DropRealtimeConnections() => RealtimeEndpoints.DropConnections(_app.Services);
}
