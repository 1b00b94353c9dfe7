using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>
/// A ticket written while an admin deletes a webhook endpoint commits, and queues nothing for the deleted endpoint:
/// the outbox must not fail the user's write on the delivery's foreign key (it did, once, in CI).
/// </summary>
public sealed class WebhookEndpointRaceTests(SharedCluster shared)
{
    private const string Requester = "71000000-0000-4000-8000-000000000001";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("delete from public.webhook_endpoints where url = 'https://hooks.example.test/gone'", 1)]
    [InlineData("update public.webhook_endpoints set description = 'renamed' where url = 'https://hooks.example.test/gone'", 2)]
    public async Task A_ticket_written_while_an_endpoint_changes_commits_with_deliveries_for_the_endpoints_that_remain(string change, int expectedDeliveries)
    {
        var db = await shared.CreateMigratedDatabaseAsync("hookrace", cancellationToken: Ct);
        await Db.ExecuteAsync(db, $$"""
            insert into auth.users (id, aud, role, email) values ('{{Requester}}', 'authenticated', 'authenticated', 'race@test.local');
            insert into public.webhook_endpoints (url, events) values
              ('https://hooks.example.test/gone', '{ticket.created}'),
              ('https://hooks.example.test/kept', '{ticket.created}');
            """, Ct);

        await using var admin = await OpenAsync(db);
        await using var writer = await OpenAsync(db);
        await using (var begin = new NpgsqlCommand($"begin; {change}", admin))
        {
            await begin.ExecuteNonQueryAsync(Ct);
        }

        // The ticket insert runs while the endpoint change is uncommitted; a delete makes it wait for the outcome.
        var writerPid = writer.ProcessID;
        await using var insert = new NpgsqlCommand(
            $"insert into public.tickets (subject, requester_id) values ('raced', '{Requester}') returning number", writer);
        var written = insert.ExecuteScalarAsync(Ct);
        if (expectedDeliveries == 1)
        {
            await WaitUntilBlockedAsync(db, writerPid);
        }
        else
        {
            await written; // an ordinary update does not hold the outbox up
        }

        await using (var commit = new NpgsqlCommand("commit", admin))
        {
            await commit.ExecuteNonQueryAsync(Ct);
        }

        Assert.NotNull(await written.WaitAsync(TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(1L, await Db.ScalarAsync<long>(db, "select count(*) from public.tickets where subject = 'raced'", Ct));
        Assert.Equal((long)expectedDeliveries, await Db.ScalarAsync<long>(db, """
            select count(*) from public.webhook_deliveries d join public.webhook_endpoints e on e.id = d.endpoint_id
             where d.event_type = 'ticket.created'
            """, Ct));
        Assert.Equal(1L, await Db.ScalarAsync<long>(db, """
            select count(*) from public.webhook_deliveries d join public.webhook_endpoints e on e.id = d.endpoint_id
             where d.event_type = 'ticket.created' and e.url = 'https://hooks.example.test/kept'
            """, Ct));
    }

    private static async Task<NpgsqlConnection> OpenAsync(string db)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task WaitUntilBlockedAsync(string db, int pid)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        while (await Db.ScalarAsync<long>(db, $"select count(*) from pg_stat_activity where pid = {pid} and wait_event_type = 'Lock'", timeout.Token) == 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
