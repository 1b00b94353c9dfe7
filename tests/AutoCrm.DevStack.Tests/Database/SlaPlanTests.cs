using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>
/// Pins the plan of <c>run_due_automations</c> on 100,000 tickets with 100,000 SLA clocks (50,000 running, the rest
/// met before they were due, as history is: their due times lie in the past, so the planner's estimate of "due by now"
/// counts them and runs far above what is due): every statement it runs (the nested ones too, through <c>auto_explain</c>) finds the due clocks through the
/// partial index on <c>due_at</c> and never scans <c>ticket_slas</c>, and a time-based rule reads the tickets through
/// its moment's (moment, id) index, never scanning <c>tickets</c>: a call costs what is due, not the tables' size.
/// No timing is asserted (bench/Sla measures it).
/// </summary>
public sealed class SlaPlanTests(SharedCluster shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Run_due_automations_reads_the_due_clocks_through_the_partial_index()
    {
        var db = await shared.CreateMigratedDatabaseAsync("slaplan", cancellationToken: Ct);
        await Db.ExecuteAsync(db, """
            insert into auth.users (id, aud, role, email)
            values ('70000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'requester@test.local');
            alter table public.tickets disable trigger user;
            insert into public.tickets (subject, requester_id)
            select 'ticket ' || n, '70000000-0000-4000-8000-000000000001' from generate_series(1, 100000) n;
            alter table public.tickets enable trigger user;
            insert into public.ticket_slas (ticket_id, metric, target_minutes, started_at, due_at, fulfilled_at)
            select id, 'first_reply', 60, now() - interval '1 day',
                   case when number > 50000 then now() - make_interval(mins => number::int)
                        else now() + make_interval(mins => number::int) end,
                   case when number > 50000 then now() - make_interval(mins => number::int + 10) end
              from public.tickets;
            insert into public.automation_rules (name, event, timer, actions)
            values ('Pending long', 'time_elapsed', '{"since": "status_changed", "minutes": 200}', '[{"type": "add_tags", "value": ["late"]}]');
            analyze public.tickets, public.ticket_slas;
            """, Ct);

        var nothingDue = await PlansAsync(db, "select public.run_due_automations(now() - interval '1 day')");
        var someDue = await PlansAsync(db, "select public.run_due_automations(now() + interval '100 minutes')");

        foreach (var plan in nothingDue.Concat(someDue).Where(p => p.Contains("ticket_slas", StringComparison.Ordinal)))
        {
            Assert.False(plan.Contains("Seq Scan on ticket_slas", StringComparison.Ordinal), plan);
        }

        Assert.Contains(nothingDue, p => p.Contains("ticket_slas_due_idx", StringComparison.Ordinal));
        Assert.Contains(someDue, p => p.Contains("ticket_slas_due_idx", StringComparison.Ordinal));

        // The time rule reads the tickets whose moment has come from its (moment, id) index, not the whole table.
        Assert.DoesNotContain(nothingDue.Concat(someDue), p => p.Contains("Seq Scan on tickets", StringComparison.Ordinal));
        Assert.Contains(nothingDue, p => p.Contains("tickets_status_changed_id_idx", StringComparison.Ordinal));
        Assert.Contains(someDue, p => p.Contains("tickets_status_changed_id_idx", StringComparison.Ordinal));
    }

    // The plans auto_explain reports for every statement the call runs, in a transaction rolled back afterwards.
    private static async Task<List<string>> PlansAsync(string db, string sql)
    {
        var plans = new List<string>();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
        connection.Notice += (_, e) =>
        {
            if (e.Notice.MessageText.Contains("plan:", StringComparison.Ordinal))
            {
                lock (plans)
                {
                    plans.Add(e.Notice.MessageText);
                }
            }
        };
        await connection.OpenAsync(Ct);
        await using (var setUp = new NpgsqlCommand("""
            load 'auto_explain';
            set auto_explain.log_min_duration = 0;
            set auto_explain.log_nested_statements = on;
            set auto_explain.log_level = notice;
            """, connection))
        {
            await setUp.ExecuteNonQueryAsync(Ct);
        }

        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            await command.ExecuteScalarAsync(Ct);
        }

        await transaction.RollbackAsync(Ct);
        lock (plans)
        {
            Assert.NotEmpty(plans);
            return [.. plans];
        }
    }
}
