using System.Collections.Concurrent;
using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

public sealed class ConcurrentClaimTests(SharedCluster shared)
{
    private const int Agents = 20;
    private const int Tickets = 500;

    [Fact]
    public async Task ClaimNext_hands_each_of_500_tickets_to_exactly_one_of_20_racing_agents()
    {
        var ct = TestContext.Current.CancellationToken;
        var db = await shared.CreateMigratedDatabaseAsync("claim", cancellationToken: ct);
        var queueId = Guid.NewGuid();
        var agentIds = Enumerable.Range(0, Agents).Select(_ => Guid.NewGuid()).ToArray();
        await ArrangeAsync(db, queueId, agentIds, ct);

        // Each agent gets its own connection as the REST layer would use it: login authenticator, then per
        // transaction SET LOCAL ROLE authenticated and the agent's JWT claims.
        var authenticator = new NpgsqlConnectionStringBuilder(db) { Username = "authenticator", Password = "postgres", Pooling = false }.ConnectionString;
        var claims = new ConcurrentBag<(Guid Agent, Guid Ticket)>();
        var connections = new List<NpgsqlConnection>();
        try
        {
            foreach (var _ in agentIds)
            {
                var connection = new NpgsqlConnection(authenticator);
                await connection.OpenAsync(ct);
                connections.Add(connection);
            }

            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var workers = agentIds.Select((agent, i) => Task.Run(async () =>
            {
                await start.Task;
                while (true)
                {
                    var claimed = await ClaimAsync(connections[i], agent, queueId, ct);
                    if (claimed is null)
                    {
                        return;
                    }

                    claims.Add((agent, claimed.Value));
                }
            }, ct)).ToArray();
            start.SetResult();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(3), ct);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }

        var claimedIds = claims.Select(c => c.Ticket).ToList();
        Assert.Equal(Tickets, claimedIds.Count);
        Assert.Equal(Tickets, claimedIds.Distinct().Count());
        Assert.True(claims.Select(c => c.Agent).Distinct().Count() > 1, "only one agent ever claimed: the race did not happen");

        // The database agrees: every ticket assigned, to the agent that got it, and moved new -> open.
        var rows = await Db.ColumnAsync(db, "SELECT id::text || '|' || coalesce(assignee_id::text, '') || '|' || status::text FROM public.tickets", ct);
        var expected = claims.Select(c => $"{c.Ticket}|{c.Agent}|open").Order(StringComparer.Ordinal);
        Assert.Equal(expected, rows.Order(StringComparer.Ordinal));
    }

    private static async Task<Guid?> ClaimAsync(NpgsqlConnection connection, Guid agent, Guid queueId, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SET LOCAL ROLE authenticated"),
                new NpgsqlBatchCommand("SELECT set_config('request.jwt.claims', $1, true)")
                {
                    Parameters = { new NpgsqlParameter { Value = $$"""{"sub":"{{agent}}","role":"authenticated","aud":"authenticated"}""" } },
                },
                new NpgsqlBatchCommand("SELECT id FROM public.claim_next_ticket(queue_id => $1)") { Parameters = { new NpgsqlParameter { Value = queueId } } },
            },
        };
        Guid? claimed = null;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            do
            {
                while (await reader.ReadAsync(ct))
                {
                    if (reader.GetFieldType(0) == typeof(Guid))
                    {
                        claimed = reader.GetGuid(0);
                    }
                }
            }
            while (await reader.NextResultAsync(ct));
        }

        await tx.CommitAsync(ct);
        return claimed;
    }

    private static async Task ArrangeAsync(string db, Guid queueId, Guid[] agentIds, CancellationToken ct)
    {
        var requester = Guid.NewGuid();
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync(ct);
        NpgsqlBatchCommand Sql(string sql, params object[] values)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            return command;
        }

        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Sql("INSERT INTO auth.users (id, aud, role, email) SELECT u, 'authenticated', 'authenticated', 'agent-' || u || '@test.local' FROM unnest($1::uuid[]) AS u", agentIds),
                Sql("INSERT INTO auth.users (id, aud, role, email) VALUES ($1, 'authenticated', 'authenticated', 'requester@test.local')", requester),
                Sql("UPDATE public.profiles SET role = 'agent' WHERE id = ANY($1)", agentIds),
                Sql("INSERT INTO public.queues (id, slug, name) VALUES ($1, 'race', 'Race')", queueId),
                Sql("INSERT INTO public.queue_members (queue_id, agent_id) SELECT $1, u FROM unnest($2::uuid[]) AS u", queueId, agentIds),
                Sql("""
                    INSERT INTO public.tickets (subject, requester_id, queue_id, priority)
                    SELECT 'ticket ' || n, $1, $2, (ARRAY['low','normal','high','urgent']::public.ticket_priority[])[1 + n % 4]
                    FROM generate_series(1, $3) AS n
                    """, requester, queueId, Tickets),
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }
}
