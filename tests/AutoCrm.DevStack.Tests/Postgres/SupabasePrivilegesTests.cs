using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.DevStack.Tests.Postgres;

/// <summary>
/// Migrations run as Supabase's postgres role: not a superuser, with what Supabase grants it, and with the statements
/// Supabase runs as the superuser on its behalf (privileged extensions, policies on platform tables).
/// </summary>
public sealed class SupabasePrivilegesTests(SharedCluster shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(string Db, MigrationException? Error)> ApplyAsync(params (string Name, string Sql)[] files)
    {
        using var dir = new TempDirectory();
        foreach (var (name, sql) in files)
        {
            dir.Write("migrations/" + name, sql);
        }

        var db = await shared.CreateBootstrappedDatabaseAsync("priv", Ct);
        try
        {
            await MigrationRunner.ApplyAsync(db, SupabaseProject.FromDirectory(dir.Path), null, Ct);
            return (db, null);
        }
        catch (MigrationException ex)
        {
            return (db, ex);
        }
    }

    [Fact]
    public async Task A_superuser_only_statement_in_a_migration_fails_naming_the_file_line_and_the_postgres_role()
    {
        var (db, error) = await ApplyAsync(("20240101000000_audit.sql", """
            create table public.audit_log (id bigint);

            create function public.audit_ddl() returns event_trigger language plpgsql as $$ begin end $$;
            create event trigger audit_ddl on ddl_command_end execute function public.audit_ddl();
            """));

        Assert.NotNull(error);
        Assert.Equal("20240101000000_audit.sql", error.FileName);
        Assert.Equal(4, error.Line);
        Assert.Equal("42501", error.SqlState);
        Assert.Contains("permission denied to create event trigger \"audit_ddl\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("Must be superuser", error.Message, StringComparison.Ordinal);
        Assert.Contains("Migrations run as Supabase's postgres role, which is not a superuser", error.Message, StringComparison.Ordinal);
        Assert.Null(await Db.ScalarAsync<string>(db, "SELECT to_regclass('public.audit_log')::text", Ct));
        Assert.Empty(await MigrationRunner.AppliedVersionsAsync(db, Ct));
    }

    [Fact]
    public async Task Migrations_run_as_postgres_which_owns_what_they_create_and_is_not_a_superuser()
    {
        var (db, error) = await ApplyAsync(("1_who.sql", """
            create table public.who as
              select current_user::text as current_name, session_user::text as session_name,
                     current_setting('is_superuser') as superuser, current_setting('search_path') as path;
            """));

        Assert.Null(error);
        Assert.Equal("postgres|postgres|off|\"$user\", public, extensions", await Db.ScalarAsync<string>(db, "SELECT concat_ws('|', current_name, session_name, superuser, path) FROM public.who", Ct));
        Assert.Equal("postgres", await Db.ScalarAsync<string>(db, "SELECT tableowner::text FROM pg_tables WHERE tablename = 'who'", Ct));
    }

    [Theory]
    [InlineData("create role sneaky superuser", "must be superuser to create superusers")]
    [InlineData("alter role postgres superuser", "must be superuser to alter superuser roles")]
    [InlineData("create extension adminpack", "permission denied to create extension \"adminpack\"")]
    [InlineData("copy (select 1) to program 'true'", "must be superuser or have privileges of the pg_execute_server_program role")]
    [InlineData("set role supabase_admin", "permission denied to set role \"supabase_admin\"")]
    [InlineData("create table auth.mine (id int)", "permission denied for schema auth")]
    [InlineData("create index on auth.users (created_at)", "must be owner of table users")]
    [InlineData("insert into auth.schema_migrations values ('1')", "permission denied for table schema_migrations")]
    [InlineData("alter publication supabase_realtime add table auth.users", "must be owner of table users")]
    public async Task What_Supabase_refuses_its_postgres_role_fails_here(string statement, string message)
    {
        var (_, error) = await ApplyAsync(("1_refused.sql", statement + ";"));

        Assert.NotNull(error);
        Assert.Contains(message, error.PostgresMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("set session authorization supabase_admin")]
    [InlineData("reset session authorization")]
    [InlineData("do $$ begin execute 'set session authorization supabase_admin'; end $$")]
    public async Task Switching_the_session_user_is_refused_before_it_runs(string statement)
    {
        var (_, error) = await ApplyAsync(("1_escape.sql", "create table public.kept (id int);\n" + statement + ";"));

        Assert.NotNull(error);
        Assert.Equal(2, error.Line);
        Assert.Contains("changing the session authorization is refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_Supabase_grants_its_postgres_role_works()
    {
        var (db, error) = await ApplyAsync(("1_granted.sql", """
            create extension if not exists pg_trgm with schema extensions;
            create table public.notes (id uuid primary key references auth.users (id), body text);
            create index notes_body_trgm on public.notes using gin (body extensions.gin_trgm_ops);
            alter publication supabase_realtime add table public.notes;
            create function public.on_user() returns trigger language plpgsql as $$ begin return new; end $$;
            create trigger on_user after insert on auth.users for each row execute function public.on_user();
            drop trigger on_user on auth.users;
            create policy "users see themselves" on auth.users for select to authenticated using (id = auth.uid());
            drop policy "users see themselves" on auth.users;
            create role reporting nologin;
            grant select on public.notes to reporting;
            set local role authenticated;
            reset role;
            insert into auth.users (id, email) values ('00000000-0000-4000-8000-000000000001', 'a@example.com');
            set local session_replication_role = replica;
            alter role authenticator set pgrst.db_aggregates_enabled to 'true';
            alter role authenticator reset pgrst.db_aggregates_enabled;
            """));

        Assert.Null(error);
        Assert.Equal("extensions", await Db.ScalarAsync<string>(db, "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'", Ct));
        Assert.Equal(1L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'supabase_realtime' AND tablename = 'notes'", Ct));
        Assert.Equal(1L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM auth.users", Ct));
    }

    [Fact]
    public async Task The_postgres_role_has_supabase_attributes_memberships_and_ownerships()
    {
        var db = await shared.CreateBootstrappedDatabaseAsync("role", Ct);

        Assert.Equal(
            "super=false createrole=true createdb=true replication=true bypassrls=true login=true",
            await Db.ScalarAsync<string>(db, "SELECT format('super=%s createrole=%s createdb=%s replication=%s bypassrls=%s login=%s', rolsuper::text, rolcreaterole::text, rolcreatedb::text, rolreplication::text, rolbypassrls::text, rolcanlogin::text) FROM pg_roles WHERE rolname = 'postgres'", Ct));
        Assert.Equal(
            ["anon", "authenticated", "pg_monitor", "pg_read_all_data", "pg_signal_backend", "service_role"],
            await Db.ColumnAsync(db, "SELECT roleid::regrole::text FROM pg_auth_members WHERE member = 'postgres'::regrole ORDER BY 1", Ct));
        Assert.Equal(
            ["database postgres", "extensions postgres", "public pg_database_owner", "publication postgres", "supabase_migrations postgres"],
            await Db.ColumnAsync(db, """
                SELECT 'database ' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()
                UNION ALL SELECT nspname || ' ' || pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ('extensions', 'public', 'supabase_migrations')
                UNION ALL SELECT 'publication ' || pg_get_userbyid(pubowner) FROM pg_publication WHERE pubname = 'supabase_realtime'
                ORDER BY 1
                """, Ct));
        Assert.Equal("supabase_admin", await Db.ScalarAsync<string>(db, "SELECT rolname::text FROM pg_roles WHERE oid = 10", Ct));
    }

    [Theory]
    [InlineData("create extension if not exists pg_cron with schema extensions", "Superuser", "create extension if not exists pg_cron with schema pg_catalog")]
    [InlineData("CREATE EXTENSION pg_cron", "Superuser", "CREATE EXTENSION pg_cron with schema pg_catalog")]
    [InlineData("create extension \"pg_cron\" schema cron cascade", "Superuser", "create extension \"pg_cron\" with schema pg_catalog cascade")]
    [InlineData("create extension \"uuid-ossp\" with schema extensions", "Superuser", null)]
    [InlineData("create extension file_fdw", "MigrationRole", null)]
    [InlineData("create policy \"x\" on \"realtime\".\"messages\" for select using (true)", "Superuser", null)]
    [InlineData("alter policy p on auth.users using (false)", "Superuser", null)]
    [InlineData("create policy p on public.tickets using (true)", "MigrationRole", null)]
    [InlineData("create trigger t after insert on auth.users for each row execute function f()", "MigrationRole", null)]
    [InlineData("drop trigger if exists t on auth.users", "Superuser", null)]
    [InlineData("SET LOCAL SESSION AUTHORIZATION DEFAULT", "Refused", null)]
    public void Statements_are_routed_as_supabase_routes_them(string statement, string route, string? text)
    {
        var plan = PrivilegedStatements.Plan(statement);

        Assert.Equal(route, plan.Route.ToString());
        Assert.Equal(text ?? statement, plan.Text);
    }
}
