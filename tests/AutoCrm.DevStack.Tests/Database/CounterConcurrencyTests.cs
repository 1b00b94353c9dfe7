using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>
/// The counters every ticket write keeps (queue_ticket_counts for queue_stats, the backlog's daily net and the hourly
/// report rollups for reports) never
/// make one writer wait for another: a writer adds to a counter row no other transaction holds, or to a new one. When
/// writers chose a row by backend (pid % 16), two backends could share a row, and a transaction that writes two queues'
/// counters (a solve that assigns a waiting ticket of another queue) deadlocked with its mirror image (docs/routing.md).
/// Here more writers than the old shard count each solve a ticket of one queue and keep their transactions open: every
/// statement must finish before any of them commits, and the counters must then agree with the tickets.
/// </summary>
public sealed class CounterConcurrencyTests(SharedCluster shared)
{
    private const int Writers = 20;
    private static readonly Guid Customer = new("74000000-0000-4000-8000-000000000001");
    private static readonly Guid Queue = new("75000000-0000-4000-8000-000000000001");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Twenty_open_transactions_solving_tickets_of_one_queue_never_wait_for_each_other()
    {
        var db = await shared.CreateMigratedDatabaseAsync("counters", cancellationToken: Ct);
        await Db.ExecuteAsync(db, $"""
            insert into auth.users (id, aud, role, email) values ('{Customer}', 'authenticated', 'authenticated', 'counter@test.local');
            insert into public.queues (id, slug, name) values ('{Queue}', 'counters', 'Counters');
            insert into public.tickets (subject, requester_id, queue_id)
            select 'ticket ' || i, '{Customer}', '{Queue}' from generate_series(1, {Writers}) i;
            """, Ct);
        var tickets = await Db.ColumnAsync(db, "select id::text from public.tickets order by created_at, id", Ct);

        var connections = new List<NpgsqlConnection>();
        var transactions = new List<NpgsqlTransaction>();
        try
        {
            foreach (var _ in tickets)
            {
                var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
                await connection.OpenAsync(Ct);
                connections.Add(connection);
                transactions.Add(await connection.BeginTransactionAsync(Ct));
            }

            // Every solve writes the same counter keys (queue new -1, queue solved +1, today's backlog -1, this hour's
            // rollup solved +1). If one had to wait for a row another open transaction holds, it could not finish
            // before the commits below: the wait fails the test instead of hanging it.
            var solves = Task.WhenAll(tickets.Select((ticket, i) => SolveAsync(connections[i], transactions[i], Guid.Parse(ticket))));
            var first = await Task.WhenAny(solves, Task.Delay(TimeSpan.FromMinutes(2), Ct));
            Assert.True(first == solves, "a solve waited for a counter row another open transaction holds");
            await solves;

            foreach (var transaction in transactions)
            {
                await transaction.CommitAsync(Ct);
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                try
                {
                    await connection.DisposeAsync();
                }
                catch (NpgsqlException)
                {
                    // A connection still waiting in a statement (the failure above) breaks off noisily; the assertion says why.
                }
            }
        }

        var counted = await Db.ColumnAsync(db, $"""
            select c.status || ':' || sum(c.tickets) from public.queue_ticket_counts c
             where c.queue_id = '{Queue}' group by c.status having sum(c.tickets) <> 0 order by c.status::text
            """, Ct);
        Assert.Equal([$"solved:{Writers}"], counted);
        Assert.Equal(0L, await Db.ScalarAsync<long>(db,
            $"select coalesce(sum(net), 0)::bigint from autocrm_private.ticket_backlog_daily where queue_id = '{Queue}'", Ct));
        Assert.Equal((long)Writers, await Db.ScalarAsync<long>(db,
            $"select coalesce(sum(solved), 0)::bigint from autocrm_private.ticket_report_hourly where queue_id = '{Queue}'", Ct));
        // All were open at once, so each held its own row.
        Assert.Equal(Writers, await Db.ScalarAsync<long>(db, $"select count(*) from public.queue_ticket_counts where queue_id = '{Queue}' and status = 'solved'", Ct));
    }

    private static async Task SolveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid ticket)
    {
        await using var command = new NpgsqlCommand("update public.tickets set status = 'solved' where id = $1", connection, transaction)
        {
            Parameters = { new NpgsqlParameter { Value = ticket } },
        };
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }
}
