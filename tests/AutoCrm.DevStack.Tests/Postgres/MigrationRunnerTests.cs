using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.DevStack.Tests.Postgres;

public sealed class MigrationRunnerTests(SharedCluster shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrations_apply_in_version_order_and_are_recorded_like_the_cli()
    {
        using var dir = new TempDirectory();
        // Listed out of order on purpose: 9 < 10 numerically, and 2 must run after 1 (it needs table a).
        dir.Write("migrations/20240102000000_b.sql", "CREATE TABLE b (a_id int REFERENCES a (id));\nINSERT INTO log VALUES ('b');");
        dir.Write("migrations/20240101000000_a.sql", "CREATE TABLE log (name text);\nCREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO log VALUES ('a');");
        dir.Write("migrations/20240103000000_c_with_semicolons.sql", """
            CREATE FUNCTION semi() RETURNS text LANGUAGE sql AS $$ SELECT 'x;y' $$;
            INSERT INTO log VALUES ('c;1'); -- a comment; with a semicolon
            """);
        dir.Write("migrations/README.md", "not a migration");
        dir.Write("migrations/notes.sql", "THIS IS NOT SQL"); // does not match <version>_<name>.sql
        var db = await shared.CreateBootstrappedDatabaseAsync("order", Ct);

        var applied = await MigrationRunner.ApplyAsync(db, SupabaseProject.FromDirectory(dir.Path), null, Ct);

        Assert.Equal(["20240101000000", "20240102000000", "20240103000000"], applied);
        Assert.Equal(["a", "b", "c;1"], await Db.ColumnAsync(db, "SELECT name FROM log", Ct));
        Assert.Equal(
            ["20240101000000|a|3", "20240102000000|b|2", "20240103000000|c_with_semicolons|2"],
            await Db.ColumnAsync(db, "SELECT version || '|' || name || '|' || cardinality(statements) FROM supabase_migrations.schema_migrations ORDER BY version", Ct));
        Assert.Equal(
            "CREATE FUNCTION semi() RETURNS text LANGUAGE sql AS $$ SELECT 'x;y' $$",
            await Db.ScalarAsync<string>(db, "SELECT statements[1] FROM supabase_migrations.schema_migrations WHERE version = '20240103000000'", Ct));
    }

    [Fact]
    public async Task A_migration_runs_past_the_connections_command_timeout()
    {
        // A migration over a large table (an index, a backfill) takes as long as it takes: the caller's command timeout
        // (1 s here, 30 s by Npgsql's default) must not roll it back.
        using var dir = new TempDirectory();
        dir.Write("migrations/20240101000000_slow.sql", "CREATE TABLE slow (id int); SELECT pg_sleep(2); INSERT INTO slow VALUES (1);");
        var db = await shared.CreateBootstrappedDatabaseAsync("slowmig", Ct);
        var oneSecond = new Npgsql.NpgsqlConnectionStringBuilder(db) { CommandTimeout = 1 }.ConnectionString;

        var applied = await MigrationRunner.ApplyAsync(oneSecond, SupabaseProject.FromDirectory(dir.Path), null, Ct);

        Assert.Equal(["20240101000000"], applied);
        Assert.Equal(1L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM slow", Ct));
    }

    [Fact]
    public async Task Versions_sort_numerically_when_their_lengths_differ()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/10_second.sql", "INSERT INTO log VALUES ('10');");
        dir.Write("migrations/9_first.sql", "CREATE TABLE log (name text); INSERT INTO log VALUES ('9');");
        var db = await shared.CreateBootstrappedDatabaseAsync("numeric", Ct);

        await MigrationRunner.ApplyAsync(db, SupabaseProject.FromDirectory(dir.Path), null, Ct);

        Assert.Equal(["9", "10"], await Db.ColumnAsync(db, "SELECT name FROM log", Ct));
    }

    [Fact]
    public async Task Rerunning_applies_only_new_files()
    {
        using var dir = new TempDirectory();
        // Not re-runnable on purpose: a second run of this file would fail.
        dir.Write("migrations/20240101000000_a.sql", "CREATE TABLE a (id int);");
        var db = await shared.CreateBootstrappedDatabaseAsync("rerun", Ct);
        Assert.Single(await MigrationRunner.ApplyAsync(db, SupabaseProject.FromDirectory(dir.Path), null, Ct));

        Assert.Empty(await MigrationRunner.ApplyAsync(db, SupabaseProject.FromDirectory(dir.Path), null, Ct));

        dir.Write("migrations/20240201000000_b.sql", "CREATE TABLE b (id int);");
        Assert.Equal(["20240201000000"], await MigrationRunner.ApplyAsync(db, SupabaseProject.FromDirectory(dir.Path), null, Ct));
        Assert.Equal(["20240101000000", "20240201000000"], await MigrationRunner.AppliedVersionsAsync(db, Ct));
    }

    [Fact]
    public async Task A_failing_file_is_rolled_back_and_reported_with_its_name_line_and_the_postgres_message()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/20240101000000_good.sql", "CREATE TABLE good (id int);");
        dir.Write("migrations/20240102000000_bad.sql", """
            -- line 1
            CREATE TABLE half_done (id int);

            INSERT INTO half_done
            SELECT id
            FROM no_such_table;
            CREATE TABLE never (id int);
            """);
        dir.Write("migrations/20240103000000_later.sql", "CREATE TABLE later (id int);");
        var db = await shared.CreateBootstrappedDatabaseAsync("fail", Ct);

        var ex = await Assert.ThrowsAsync<MigrationException>(() => MigrationRunner.ApplyAsync(db, SupabaseProject.FromDirectory(dir.Path), null, Ct));

        Assert.Equal("20240102000000_bad.sql", ex.FileName);
        Assert.Equal(6, ex.Line);
        Assert.Equal("42P01", ex.SqlState);
        Assert.Equal("relation \"no_such_table\" does not exist", ex.PostgresMessage);
        Assert.Contains("20240102000000_bad.sql:6", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_table", ex.Message, StringComparison.Ordinal);
        Assert.Null(await Db.ScalarAsync<string>(db, "SELECT to_regclass('half_done')::text", Ct));
        Assert.Null(await Db.ScalarAsync<string>(db, "SELECT to_regclass('later')::text", Ct));
        Assert.Equal("good", await Db.ScalarAsync<string>(db, "SELECT to_regclass('good')::text", Ct));
        Assert.Equal(["20240101000000"], await MigrationRunner.AppliedVersionsAsync(db, Ct));
    }

    [Fact]
    public async Task A_syntax_error_inside_a_function_body_is_located_in_the_file()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/1_fn.sql", """
            CREATE TABLE t (id int);
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
            BEGIN
              RETURN 1 +;
            END;
            $$;
            """);
        var db = await shared.CreateBootstrappedDatabaseAsync("fnerr", Ct);

        var ex = await Assert.ThrowsAsync<MigrationException>(() => MigrationRunner.ApplyAsync(db, SupabaseProject.FromDirectory(dir.Path), null, Ct));

        Assert.Equal("1_fn.sql", ex.FileName);
        Assert.Equal(4, ex.Line);
        Assert.Equal("42601", ex.SqlState);
    }

    [Fact]
    public async Task Seed_runs_after_migrations_and_is_recorded_in_seed_files()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/1_t.sql", "CREATE TABLE t (name text);");
        dir.Write("seed.sql", "INSERT INTO t VALUES ('seeded');");
        var db = await shared.CreateBootstrappedDatabaseAsync("seed", Ct);
        var project = SupabaseProject.FromDirectory(dir.Path);

        await MigrationRunner.ApplyAsync(db, project, null, Ct);
        Assert.True(await MigrationRunner.SeedAsync(db, project, null, Ct));

        Assert.Equal("seeded", await Db.ScalarAsync<string>(db, "SELECT name FROM t", Ct));
        Assert.Equal(
            MigrationRunner.SeedPath,
            await Db.ScalarAsync<string>(db, "SELECT path FROM supabase_migrations.seed_files WHERE length(hash) = 64", Ct));
    }

    [Fact]
    public async Task A_failing_seed_is_rolled_back_and_reported()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/1_t.sql", "CREATE TABLE t (name text NOT NULL);");
        dir.Write("seed.sql", "INSERT INTO t VALUES ('one');\nINSERT INTO t VALUES (NULL);");
        var db = await shared.CreateBootstrappedDatabaseAsync("seedfail", Ct);
        var project = SupabaseProject.FromDirectory(dir.Path);
        await MigrationRunner.ApplyAsync(db, project, null, Ct);

        var ex = await Assert.ThrowsAsync<MigrationException>(() => MigrationRunner.SeedAsync(db, project, null, Ct));

        Assert.Equal("seed.sql", ex.FileName);
        Assert.Equal(2, ex.Line);
        Assert.Equal("23502", ex.SqlState);
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM t", Ct));
    }

    [Fact]
    public void Duplicate_versions_are_refused()
    {
        using var dir = new TempDirectory();
        dir.Write("migrations/1_a.sql", "SELECT 1;");
        dir.Write("migrations/1_b.sql", "SELECT 1;");
        var ex = Assert.Throws<InvalidOperationException>(() => SupabaseProject.FromDirectory(dir.Path));
        Assert.Contains("1_a.sql", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_embedded_project_migrations_apply_and_reapply_as_a_no_op()
    {
        var db = await shared.CreateMigratedDatabaseAsync("embedded", seed: false, Ct);
        var project = SupabaseProject.Embedded();

        Assert.Equal(project.Migrations.Select(m => m.Version), await MigrationRunner.AppliedVersionsAsync(db, Ct));
        await PlatformBootstrap.ApplyAsync(db, Ct);
        Assert.Empty(await MigrationRunner.ApplyAsync(db, project, null, Ct));
    }
}
