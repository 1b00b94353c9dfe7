using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>Ticket writes racing a change of the field definitions they are checked against.</summary>
public sealed class TicketFieldConcurrencyTests(SharedCluster shared)
{
    [Fact]
    public async Task A_value_written_while_its_field_becomes_agent_only_never_stays_in_the_ticket_row()
    {
        var ct = TestContext.Current.CancellationToken;
        var db = await shared.CreateMigratedDatabaseAsync("fields", cancellationToken: ct);
        var agent = Guid.NewGuid();
        var customer = Guid.NewGuid();
        var ticket = Guid.NewGuid();
        await using (var arrange = new NpgsqlConnection(db))
        {
            await arrange.OpenAsync(ct);
            await using var batch = new NpgsqlBatch(arrange)
            {
                BatchCommands =
                {
                    Sql("INSERT INTO auth.users (id, email) VALUES ($1, 'agent@test.local'), ($2, 'customer@test.local')", agent, customer),
                    Sql("UPDATE public.profiles SET role = 'agent' WHERE id = $1", agent),
                    Sql("INSERT INTO public.tickets (id, subject, requester_id) VALUES ($1, 'Race', $2)", ticket, customer),
                    Sql("INSERT INTO public.ticket_fields (key, label, type, customer_visible) VALUES ('tier', 'Tier', 'text', true)"),
                },
            };
            await batch.ExecuteNonQueryAsync(ct);
        }

        // The admin's change is in flight: it has made the field agent-only and moved the values it found.
        await using var admin = new NpgsqlConnection(db);
        await admin.OpenAsync(ct);
        await using var change = await admin.BeginTransactionAsync(ct);
        await using (var flip = new NpgsqlCommand("UPDATE public.ticket_fields SET customer_visible = false WHERE key = 'tier'", admin, change))
        {
            await flip.ExecuteNonQueryAsync(ct);
        }

        // Meanwhile an agent writes the field through the API's path (role authenticated + claims), as customer-visible.
        var authenticator = new NpgsqlConnectionStringBuilder(db) { Username = "authenticator", Password = "postgres", Pooling = false }.ConnectionString;
        await using var writer = new NpgsqlConnection(authenticator);
        await writer.OpenAsync(ct);
        var writerPid = writer.ProcessID;
        var write = Task.Run(async () =>
        {
            await using var tx = await writer.BeginTransactionAsync(ct);
            await using var batch = new NpgsqlBatch(writer, tx)
            {
                BatchCommands =
                {
                    Sql("SET LOCAL ROLE authenticated"),
                    Sql("SELECT set_config('request.jwt.claims', $1, true)", $$"""{"sub":"{{agent}}","role":"authenticated"}"""),
                    Sql("UPDATE public.tickets SET metadata = metadata || '{\"tier\": \"gold\"}' WHERE id = $1", ticket),
                },
            };
            await batch.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
        }, ct);

        // The write must wait for the definition change (the fields lock), not read the definitions it replaces.
        await WaitUntilBlockedAsync(db, writerPid, write, ct);
        await change.CommitAsync(ct);
        await write.WaitAsync(TimeSpan.FromMinutes(1), ct);

        Assert.Equal("{}", await Db.ScalarAsync<string>(db, $"SELECT metadata::text FROM public.tickets WHERE id = '{ticket}'", ct));
        Assert.Equal("""{"tier": "gold"}""", await Db.ScalarAsync<string>(db, $"SELECT metadata::text FROM public.ticket_agent_fields WHERE ticket_id = '{ticket}'", ct));
    }

    private static async Task WaitUntilBlockedAsync(string db, int pid, Task write, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync(ct);
        await using var blocked = new NpgsqlCommand("SELECT cardinality(pg_blocking_pids($1)) > 0", connection) { Parameters = { new NpgsqlParameter { Value = pid } } };
        while (!(bool)(await blocked.ExecuteScalarAsync(timeout.Token))!)
        {
            Assert.False(write.IsCompleted, "the agent's write finished while the definition change was still open");
            await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
        }
    }

    private static NpgsqlBatchCommand Sql(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
