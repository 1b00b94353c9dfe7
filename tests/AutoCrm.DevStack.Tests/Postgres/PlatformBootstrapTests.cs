using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Postgres;

public sealed class PlatformBootstrapTests(SharedCluster shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string CatalogSnapshot = """
        SELECT 'class ' || oid || ' ' || relname || ' ' || relkind::text || ' ' || coalesce(array_to_string(relacl, ','), '') FROM pg_class WHERE relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)
        UNION ALL SELECT 'proc ' || oid || ' ' || proname || ' ' || md5(prosrc) || ' ' || coalesce(array_to_string(proacl, ','), '') FROM pg_proc WHERE pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
        UNION ALL SELECT 'ns ' || oid || ' ' || nspname || ' ' || coalesce(array_to_string(nspacl, ','), '') FROM pg_namespace
        UNION ALL SELECT 'role ' || oid || ' ' || rolname || ' ' || rolcanlogin || rolbypassrls || rolinherit FROM pg_roles
        UNION ALL SELECT 'member ' || roleid || ' ' || member FROM pg_auth_members
        UNION ALL SELECT 'pub ' || oid || ' ' || pubname FROM pg_publication
        UNION ALL SELECT 'defacl ' || oid || ' ' || array_to_string(defaclacl, ',') FROM pg_default_acl
        ORDER BY 1
        """;

    [Fact]
    public async Task Applying_the_bootstrap_twice_changes_nothing()
    {
        var db = await shared.CreateDatabaseAsync("boot", Ct);
        await PlatformBootstrap.ApplyAsync(db, Ct);
        var before = await Db.ColumnAsync(db, CatalogSnapshot, Ct);

        await PlatformBootstrap.ApplyAsync(db, Ct);

        Assert.Equal(before, await Db.ColumnAsync(db, CatalogSnapshot, Ct));
    }

    [Fact]
    public async Task The_authenticator_logs_in_with_the_local_password_and_can_become_each_api_role()
    {
        var db = await shared.CreateDatabaseAsync("bootauth", Ct);
        await PlatformBootstrap.ApplyAsync(db, Ct);
        var authenticator = new NpgsqlConnectionStringBuilder(db) { Username = "authenticator", Password = "postgres" }.ConnectionString;

        foreach (var role in new[] { "anon", "authenticated", "service_role" })
        {
            await using var connection = new NpgsqlConnection(authenticator);
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand($"SET ROLE {role}; SELECT current_user", connection);
            Assert.Equal(role, (string?)await command.ExecuteScalarAsync(Ct));
        }

        Assert.True(await Db.ScalarAsync<bool>(db, "SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'", Ct));
        Assert.Equal(1L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM pg_publication WHERE pubname = 'supabase_realtime'", Ct));
    }
}
