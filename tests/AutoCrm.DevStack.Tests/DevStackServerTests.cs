using System.Net;
using System.Net.Sockets;
using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Security;
using AutoCrm.DevStack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCrm.DevStack.Tests;

public sealed class DevStackServerTests(SharedCluster shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_default_start_serves_http_on_loopback_and_dispose_frees_the_port_and_stops_the_cluster()
    {
        var server = await DevStackServer.StartAsync(cancellationToken: Ct);
        Uri url;
        string databaseUrl;
        try
        {
            url = server.Url;
            databaseUrl = server.DatabaseUrl;
            Assert.Equal("127.0.0.1", url.Host);
            Assert.NotEqual(0, url.Port);
            Assert.NotEqual(DevStackDefaults.AnonKey, server.AnonKey); // a throwaway cluster gets a random secret
            Assert.NotEqual(DevStackDefaults.ServiceRoleKey, server.ServiceRoleKey);
            Assert.StartsWith("postgresql://postgres:postgres@127.0.0.1:", databaseUrl, StringComparison.Ordinal);
            Assert.EndsWith("/postgres", databaseUrl, StringComparison.Ordinal);

            using var http = new HttpClient { BaseAddress = url };
            var refused = await http.GetAsync(new Uri("/rest/v1/tickets", UriKind.Relative), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

            var settings = server.Services.GetRequiredService<DevStackSettings>();
            Assert.Equal(url.GetLeftPart(UriPartial.Authority), settings.ApiUrl);
            Assert.Equal(settings.ApiUrl + "/auth/v1", settings.JwtIssuer);
            var connections = server.Services.GetRequiredService<DatabaseConnections>();
            await using (var command = connections.Authenticator.CreateCommand("SELECT current_user"))
            {
                Assert.Equal("authenticator", (string?)await command.ExecuteScalarAsync(Ct));
            }

            var db = ConnectionStrings.Normalize(databaseUrl);
            Assert.Equal(
                SupabaseProject.Embedded().Migrations.Select(m => m.Version),
                await MigrationRunner.AppliedVersionsAsync(db, Ct));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.False(await Db.CanConnectAsync(ConnectionStrings.Normalize(databaseUrl)));
        using var probe = new TcpListener(IPAddress.Loopback, url.Port);
        probe.Start(); // throws if the port were still bound
        probe.Stop();
    }

    [Fact]
    public async Task Preflights_and_apikey_checks_run_in_front_of_every_service()
    {
        await using var server = await shared.StartDevStackAsync(cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = server.Url };

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/rest/v1/tickets");
        preflight.Headers.Add("Origin", "http://localhost:3000");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "apikey, content-type");
        var answer = await http.SendAsync(preflight, Ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("http://localhost:3000", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());

        foreach (var path in new[] { "/rest/v1/tickets", "/auth/v1/user", "/realtime/v1/websocket" })
        {
            using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
            wrong.Headers.Add("apikey", "wrong");
            var response = await http.SendAsync(wrong, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("Invalid API key", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        var health = await http.GetAsync(new Uri("/auth/v1/health", UriKind.Relative), Ct);
        Assert.NotEqual(HttpStatusCode.Unauthorized, health.StatusCode);
    }

    [Fact]
    public async Task An_attached_database_gets_bootstrap_migrations_and_seed_once_and_the_server_keeps_running()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/1_t.sql", "CREATE TABLE public.t (name text UNIQUE);");
        dir.Write("seed.sql", "INSERT INTO public.t VALUES ('seeded');");
        var db = await shared.CreateDatabaseAsync("attach", Ct);
        var options = new DevStackOptions { DatabaseUrl = db, SupabaseDirectory = dir.Path };

        await (await DevStackServer.StartAsync(options, Ct)).DisposeAsync();
        await using (var again = await DevStackServer.StartAsync(options, Ct))
        {
            // A second seed would violate the unique constraint and fail the start.
            Assert.Equal(1L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM public.t", Ct));
        }

        Assert.Equal(1L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM pg_roles WHERE rolname = 'authenticator'", Ct));
        Assert.True(await Db.CanConnectAsync(db));
    }

    [Fact]
    public async Task Seed_false_leaves_a_new_database_empty()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/1_t.sql", "CREATE TABLE public.t (name text);");
        dir.Write("seed.sql", "INSERT INTO public.t VALUES ('seeded');");
        var db = await shared.CreateDatabaseAsync("noseed", Ct);

        await using var server = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = db, SupabaseDirectory = dir.Path, Seed = false }, Ct);

        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM public.t", Ct));
    }

    [Fact]
    public async Task Settings_come_from_config_toml_and_keys_from_the_configured_secret()
    {
        using var dir = new TempDirectory();
        dir.Write("config.toml", """
            project_id = "x"
            [api]
            max_rows = 5
            schemas = ["public"]
            [auth]
            jwt_expiry = 60
            enable_signup = false
            minimum_password_length = 12
            refresh_token_reuse_interval = 3
            [auth.email]
            enable_confirmations = true
            """);
        const string secret = "a-different-secret-of-at-least-32-characters";
        var db = await shared.CreateDatabaseAsync("config", Ct);

        await using var server = await DevStackServer.StartAsync(new DevStackOptions { DatabaseUrl = db, SupabaseDirectory = dir.Path, JwtSecret = secret }, Ct);

        var settings = server.Services.GetRequiredService<DevStackSettings>();
        Assert.Equal(5, settings.MaxRows);
        Assert.Equal(["public"], settings.Schemas);
        Assert.Equal(60, settings.JwtExpirySeconds);
        Assert.False(settings.EnableSignup);
        Assert.Equal(12, settings.MinimumPasswordLength);
        Assert.Equal(3, settings.RefreshTokenReuseIntervalSeconds);
        Assert.True(settings.EnableConfirmations);
        Assert.Equal(secret, settings.JwtSecret);
        Assert.NotEqual(DevStackDefaults.AnonKey, server.AnonKey);
        var jwt = server.Services.GetRequiredService<JwtService>();
        Assert.Equal("anon", jwt.Validate(server.AnonKey).Role);
        Assert.Equal("service_role", jwt.Validate(server.ServiceRoleKey).Role);
        Assert.False(jwt.Validate(DevStackDefaults.AnonKey).IsValid);
    }

    [Fact]
    public async Task The_embedded_config_toml_gives_the_cli_defaults()
    {
        var settings = DevStackSettings.FromConfigToml(SupabaseProject.Embedded().ConfigToml, DevStackDefaults.JwtSecret, "http://127.0.0.1:54321");
        Assert.Equal(3600, settings.JwtExpirySeconds);
        Assert.Equal(1000, settings.MaxRows);
        Assert.Equal(["public", "graphql_public"], settings.Schemas);
        Assert.Equal(["public", "extensions"], settings.ExtraSearchPath);
        Assert.True(settings.EnableSignup);
        Assert.False(settings.EnableConfirmations);
        Assert.True(settings.EnableRefreshTokenRotation);
        Assert.Equal(10, settings.RefreshTokenReuseIntervalSeconds);
        Assert.Equal(6, settings.MinimumPasswordLength);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_failing_migration_stops_the_start_and_leaves_nothing_running()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/1_bad.sql", "SELECT * FROM missing_table;");
        var ex = await Assert.ThrowsAsync<MigrationException>(() => DevStackServer.StartAsync(new DevStackOptions { SupabaseDirectory = dir.Path }, Ct));
        Assert.Equal("1_bad.sql", ex.FileName);
    }
}
