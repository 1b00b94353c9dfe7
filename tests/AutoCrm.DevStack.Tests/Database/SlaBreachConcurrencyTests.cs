using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>
/// <c>run_due_automations</c> records each missed SLA target, and fires each time-based rule on each ticket, exactly once
/// when ten schedulers run it at the same moment (pg_cron on two servers, a manual run beside the cron job): ten sessions
/// wait on one lock and are released together.
/// </summary>
public sealed class SlaBreachConcurrencyTests(SharedCluster shared)
{
    private const int Sessions = 10;
    private const int Tickets = 300;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ten_concurrent_runs_record_each_breach_and_each_time_rule_firing_exactly_once()
    {
        var db = await shared.CreateMigratedDatabaseAsync("slarace", cancellationToken: Ct);
        await Db.ExecuteAsync(db, $$$"""
            insert into auth.users (id, aud, role, email)
            values ('70000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'requester@test.local');
            insert into public.webhook_endpoints (url, events) values ('https://hooks.example.test/sla', '{sla.breached}');
            insert into public.sla_policies (name, targets)
            values ('All', '{"low": {"first_reply": 10, "resolution": 60}, "normal": {"first_reply": 20, "resolution": 120},
                            "high": {"first_reply": 30}, "urgent": {"first_reply": 40, "resolution": 240}}');
            insert into public.automation_rules (name, position, event, timer, actions) values
              ('Tag late ones', 1, 'time_elapsed', '{"since": "created", "minutes": 60}', '[{"type": "add_tags", "value": ["late"]}]'),
              ('Note unassigned ones', 2, 'time_elapsed', '{"since": "assignee_changed", "minutes": 30}',
               '[{"type": "add_internal_note", "value": "Still unassigned."}]');
            insert into public.tickets (subject, requester_id, priority)
            select 'ticket ' || n, '70000000-0000-4000-8000-000000000001',
                   (array['low', 'normal', 'high', 'urgent']::public.ticket_priority[])[1 + n % 4]
              from generate_series(1, {{{Tickets}}}) n;
            """, Ct);
        var clocks = await Db.ScalarAsync<long>(db, "select count(*) from public.ticket_slas", Ct);
        Assert.Equal(Tickets * 7 / 4, clocks); // two clocks per ticket, one for high (no resolution target)

        var results = await RunTogetherAsync(db);

        Assert.Equal(clocks + (2 * Tickets), results.Sum());
        Assert.Equal(clocks, await Db.ScalarAsync<long>(db, "select count(*) from public.ticket_events where kind = 'sla_breached'", Ct));
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, """
            select count(*) from (select ticket_id, changes ->> 'metric' from public.ticket_events
                                   where kind = 'sla_breached' group by 1, 2 having count(*) > 1) twice
            """, Ct));
        Assert.Equal(clocks, await Db.ScalarAsync<long>(db, "select count(*) from public.webhook_deliveries where event_type = 'sla.breached'", Ct));
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, "select count(*) from public.ticket_slas where breached_at is null", Ct));

        // Each time rule fired once on each ticket: one rule_applied event per ticket and rule, its effect applied once.
        Assert.Equal(2L * Tickets, await Db.ScalarAsync<long>(db, "select count(*) from public.ticket_events where kind = 'rule_applied'", Ct));
        Assert.Equal(0L, await Db.ScalarAsync<long>(db, """
            select count(*) from (select ticket_id, rule_id from public.ticket_events
                                   where kind = 'rule_applied' group by 1, 2 having count(*) > 1) twice
            """, Ct));
        Assert.Equal((long)Tickets, await Db.ScalarAsync<long>(db, "select count(*) from public.tickets where tags = '{late}'", Ct));
        Assert.Equal((long)Tickets, await Db.ScalarAsync<long>(db, "select count(*) from public.ticket_messages where body = 'Still unassigned.'", Ct));
    }

    // Ten sessions block on a shared advisory lock the test holds exclusively, then all run at once when it lets go.
    private static async Task<List<int>> RunTogetherAsync(string db)
    {
        await using var gate = new NpgsqlConnection(db);
        await gate.OpenAsync(Ct);
        await using (var hold = new NpgsqlCommand("select pg_advisory_lock(4217)", gate))
        {
            await hold.ExecuteNonQueryAsync(Ct);
        }

        var connections = new List<NpgsqlConnection>();
        try
        {
            var runs = new List<Task<int>>();
            for (var i = 0; i < Sessions; i++)
            {
                var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
                await connection.OpenAsync(Ct);
                connections.Add(connection);
                runs.Add(RunAsync(connection));
            }

            // Release only when all ten are waiting on the lock.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(2));
            while (await Db.ScalarAsync<long>(db, "select count(*) from pg_locks where locktype = 'advisory' and objid = 4217 and not granted", timeout.Token) < Sessions)
            {
                await Task.Delay(20, timeout.Token);
            }

            await using (var release = new NpgsqlCommand("select pg_advisory_unlock(4217)", gate))
            {
                await release.ExecuteNonQueryAsync(Ct);
            }

            return [.. await Task.WhenAll(runs).WaitAsync(TimeSpan.FromMinutes(3), Ct)];
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<int> RunAsync(NpgsqlConnection connection)
    {
        // The lock is taken in the FROM clause, before the function runs; the run's `now` is a day ahead.
        await using var command = new NpgsqlCommand(
            "select public.run_due_automations(now() + interval '1 day') from (select pg_advisory_lock_shared(4217)) gate", connection);
        command.CommandTimeout = 300;
        return (int)(await command.ExecuteScalarAsync(Ct))!;
    }
}
