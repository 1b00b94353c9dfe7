using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Tests.Infrastructure;

namespace AutoCrm.DevStack.Tests.Postgres;

/// <summary>A DevStack's cluster preloads pg_cron and enables it as a Supabase project does; postgres's jobs run.</summary>
public sealed class PgCronTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_job_postgres_schedules_runs_in_the_project_database()
    {
        Assert.True(
            LocalCluster.HasPgCron(await LocalCluster.FindBinDirectoryAsync(new LocalClusterOptions(), Ct)),
            "pg_cron is not installed for these PostgreSQL binaries: apt-get install postgresql-15-cron (the test command installs it).");
        await using var server = await DevStackServer.StartAsync(new DevStackOptions { Seed = false }, Ct);
        var db = ConnectionStrings.Normalize(server.DatabaseUrl);

        Assert.Equal("pg_catalog", await Db.ScalarAsync<string>(db, "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_cron'", Ct));
        await using var connection = new Npgsql.NpgsqlConnection(db);
        await connection.OpenAsync(Ct);
        string? ranBy = null;
        connection.Notification += (_, e) => ranBy = e.Payload;
        await using (var setUp = new Npgsql.NpgsqlCommand("""
            create table public.cron_probe (ran_by text not null);
            create function public.cron_probe_ran() returns trigger language plpgsql as $$
            begin perform pg_notify('cron_probe', new.ran_by); return new; end $$;
            create trigger cron_probe_ran after insert on public.cron_probe for each row execute function public.cron_probe_ran();
            listen cron_probe;
            select cron.schedule('cron-probe', '* * * * *', 'insert into public.cron_probe (ran_by) values (current_user)');
            """, connection))
        {
            await setUp.ExecuteNonQueryAsync(Ct);
        }

        Assert.Equal("postgres", await Db.ScalarAsync<string>(db, "SELECT username FROM cron.job WHERE jobname = 'cron-probe'", Ct));

        // pg_cron's schedules have minute granularity: the first run comes at the next minute boundary.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        while (ranBy is null)
        {
            await connection.WaitAsync(timeout.Token);
        }

        Assert.Equal("postgres", ranBy);
    }

    [Fact]
    public async Task Postgres_reads_cron_job_but_cannot_write_it_directly()
    {
        await using var server = await DevStackServer.StartAsync(new DevStackOptions { Seed = false }, Ct);
        var db = ConnectionStrings.Normalize(server.DatabaseUrl);

        // The migrations schedule jobs of their own (run_due_automations every minute): the insert must add none.
        var jobs = await Db.ScalarAsync<long>(db, "SELECT count(*) FROM cron.job", Ct);
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Db.ExecuteAsync(db, "insert into cron.job (schedule, command) values ('* * * * *', 'select 1')", Ct));

        Assert.Equal("42501", error.SqlState);
        Assert.Equal(jobs, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM cron.job", Ct));
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "SELECT count(*) FROM cron.job WHERE command = 'select 1'", Ct));
    }
}
