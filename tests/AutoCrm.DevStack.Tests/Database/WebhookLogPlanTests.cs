using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>
/// Pins the plans of the webhook delivery log on 100,000 deliveries (a few failed and pending, one ticket's handful, a
/// rare event type): every filter the log offers (state, endpoint and state, ticket, event type), read newest first by
/// <c>seq</c> as an admin through row-level security, finds its page through an index and never scans
/// <c>webhook_deliveries</c>; so does a batch of <c>prune_webhook_deliveries</c>, the retention. No timing is asserted
/// (docs/webhooks.md has the figures at 10^6).
/// </summary>
public sealed class WebhookLogPlanTests(SharedCluster shared)
{
    private const string Admin = "71000000-0000-4000-8000-000000000001";
    private const string Endpoint = "e1000000-0000-4000-8000-000000000002";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_log_filter_and_the_retention_read_webhook_deliveries_through_an_index()
    {
        var db = await shared.CreateMigratedDatabaseAsync("webhooklogplan", cancellationToken: Ct);
        await Db.ExecuteAsync(db, $$"""
            insert into auth.users (id, aud, role, email) values ('{{Admin}}', 'authenticated', 'authenticated', 'admin@test.local');
            update public.profiles set role = 'admin' where id = '{{Admin}}';
            insert into public.webhook_endpoints (id, url, events)
            select ('e1000000-0000-4000-8000-00000000000' || n)::uuid, 'https://' || n || '.example/hook', '{ticket.created}'
              from generate_series(1, 3) n;
            insert into public.webhook_deliveries (endpoint_id, event_id, event_type, ticket_id, payload, state, delivered_at, created_at)
            select ('e1000000-0000-4000-8000-00000000000' || (1 + n % 3))::uuid, gen_random_uuid(),
                   case when n % 1000 = 0 then 'webhook.test' else 'ticket.updated' end,
                   case when n % 1000 <> 0 then ('00000000-0000-4000-8000-' || lpad((n % 20000)::text, 12, '0'))::uuid end,
                   '{}', case when n > 99900 then 'pending' when n % 500 = 7 then 'failed' else 'delivered' end,
                   now(), now() - interval '60 days' + n * interval '30 seconds'
              from generate_series(1, 100000) n;
            analyze public.webhook_deliveries;
            """, Ct);

        string[] filters =
        [
            "state = 'failed'",
            "state = 'pending'",
            $"endpoint_id = '{Endpoint}' and state = 'failed'",
            $"endpoint_id = '{Endpoint}' and state = 'failed' and seq < 50000",
            "ticket_id = '00000000-0000-4000-8000-000000001234'",
            "event_type = 'webhook.test'",
            $"endpoint_id = '{Endpoint}'",
        ];
        foreach (var filter in filters)
        {
            var plan = await AdminPlanAsync(db, $"select * from public.webhook_deliveries where {filter} order by seq desc limit 26");
            Assert.DoesNotContain("Seq Scan on webhook_deliveries", plan, StringComparison.Ordinal);
            Assert.Contains("Index", plan, StringComparison.Ordinal);
        }

        var prune = await Db.NestedPlansAsync(db, "select public.prune_webhook_deliveries(interval '30 days', 1000)", Ct);
        Assert.Contains(prune, p => p.Contains("Delete on webhook_deliveries", StringComparison.Ordinal));
        Assert.DoesNotContain(prune, p => p.Contains("Seq Scan on webhook_deliveries", StringComparison.Ordinal));
    }

    // EXPLAIN as an admin would run the query through PostgREST: role authenticated with the admin's claims.
    private static async Task<string> AdminPlanAsync(string db, string sql)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using (var role = new NpgsqlCommand(
            $$"""select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"sub": "{{Admin}}", "role": "authenticated"}', true)""",
            connection, transaction))
        {
            await role.ExecuteNonQueryAsync(Ct);
        }

        var lines = new List<string>();
        await using (var explain = new NpgsqlCommand("explain " + sql, connection, transaction))
        await using (var reader = await explain.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                lines.Add(reader.GetString(0));
            }
        }

        await transaction.RollbackAsync(Ct);
        return string.Join('\n', lines);
    }
}
