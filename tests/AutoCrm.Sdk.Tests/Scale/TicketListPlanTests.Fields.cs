using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Tickets;
using AutoCrm.Scale;
using Npgsql;

namespace AutoCrm.Sdk.Tests.Scale;

/// <summary>
/// Filtering by custom field values (<see cref="TicketQuery.FieldValues"/>, <see cref="TicketQuery.AgentFieldValues"/>) on
/// the same 100 000-ticket database, as an admin and as an agent through the DevStack with row-level security on: the
/// tickets are never scanned. A customer-visible value is read by walking the keyset index with the containment as a
/// filter; an agent-only value by one pass over <c>ticket_agent_fields</c> (only tickets that have agent-only values),
/// whose policy probes each row's ticket by primary key before the filter, and the matches joined to tickets. Neither can use its GIN index for an API caller: <c>@&gt;</c> (jsonb_contains) is not
/// leakproof, so PostgreSQL does not evaluate it in an index before the row-level security policy (docs/custom-fields.md,
/// "Filtering and indexes").
/// </summary>
public sealed partial class TicketListPlanTests
{
    /// <summary>Tickets of the generated set with an agent-only <c>tier</c>: every tenth, <c>gold</c> on one in two hundred.</summary>
    private const string AgentValuesSql = """
        insert into public.ticket_fields (key, label, type, options, customer_visible) values
          ('plan', 'Plan', 'dropdown', '["free", "pro", "business", "enterprise"]', true),
          ('tier', 'Tier', 'dropdown', '["gold", "silver", "bronze"]', false)
        on conflict (key) do nothing;
        insert into public.ticket_agent_fields (ticket_id, metadata)
        select t.id, jsonb_build_object('tier', case when t.number % 200 = 0 then 'gold' when t.number % 20 = 0 then 'silver' else 'bronze' end)
          from public.tickets t
         where t.number % 10 = 0
        on conflict (ticket_id) do nothing;
        analyze public.ticket_agent_fields;
        """;

    public static TheoryData<string, string, string, string, string> FieldFilters() => new()
    {
        { "customer-visible field value (plan = enterprise)", "admin", "plan", "enterprise", "tickets_created_at_id_idx" },
        { "agent-only field value (tier = gold), as an admin", "admin", "tier", "gold", "tickets_pkey" },
        { "agent-only field value (tier = gold), as an agent", "agent", "tier", "gold", "tickets_pkey" },
    };

    [Theory]
    [MemberData(nameof(FieldFilters))]
    public async Task Filtering_by_a_custom_field_value_never_scans_the_tickets(string name, string role, string key, string value, string index)
    {
        var ct = TestContext.Current.CancellationToken;
        await PlanDatabaseFixture.ExecuteAsync(database.ConnectionString, AgentValuesSql, ct);
        var values = new Dictionary<string, TicketFieldValue> { [key] = TicketFieldValue.Option(value) };
        var query = key == "tier"
            ? new TicketQuery { AgentFieldValues = values, Descending = true, PageSize = 50 }
            : new TicketQuery { FieldValues = values, Descending = true, PageSize = 50 };

        using var handler = new PlanCapturingHandler();
        using var client = await database.SignInAsync(role == "agent" ? ShapeRole.Agent : ShapeRole.Admin, handler, ct);
        handler.Capturing = true;
        await client.Tickets.ListAsync(query, ct).AsPages().FirstAsync(ct);
        var plan = Assert.Single(handler.Plans);

        // The page was full (EXPLAIN ANALYZE ran the query): a plan over no rows would pass for the wrong reason.
        var nodes = Nodes(plan.GetProperty("Plan")).ToList();
        Assert.True(nodes.First(n => n.Type == "Limit").RowsRead >= query.PageSize, $"{name}: the page was not full\n{plan}");
        Assert.DoesNotContain(nodes, n => n.Type == "Seq Scan" && n.Relation == "tickets");
        Assert.True(IndexNames(plan.GetProperty("Plan")).Contains(index), $"{name}: {index} is not in the plan\n{plan}");
        if (key == "tier")
        {
            // At most one pass over the agent-only values (every tenth ticket has one); the policy checks each row's ticket
            // and the matches are joined, both by primary key: at most two ticket probes per agent-values row.
            var agentRows = nodes.Where(n => n.Relation == "ticket_agent_fields").Sum(n => n.RowsRead);
            var ticketRows = nodes.Where(n => n.Relation == "tickets").Sum(n => n.RowsRead);
            Assert.True(agentRows <= PlanDatabaseFixture.Tickets / 10 && ticketRows <= 2 * PlanDatabaseFixture.Tickets / 10,
                $"{name}: read {agentRows} agent-value rows and {ticketRows} ticket rows\n{plan}");
        }
    }

    [Fact]
    public async Task The_field_values_the_field_plans_filter_on_are_rare_but_present()
    {
        var ct = TestContext.Current.CancellationToken;
        await PlanDatabaseFixture.ExecuteAsync(database.ConnectionString, AgentValuesSql, ct);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            select (select count(*) from public.tickets where metadata @> '{"plan": "enterprise"}'),
                   (select count(*) from public.ticket_agent_fields where metadata @> '{"tier": "gold"}')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        Assert.InRange(reader.GetInt64(0), 51, PlanDatabaseFixture.Tickets / 10);
        Assert.InRange(reader.GetInt64(1), 51, PlanDatabaseFixture.Tickets / 100);
    }

    private static HashSet<string> IndexNames(System.Text.Json.JsonElement node)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (node.TryGetProperty("Index Name", out var name) && name.GetString() is { } n)
        {
            names.Add(n);
        }

        if (node.TryGetProperty("Plans", out var plans))
        {
            foreach (var child in plans.EnumerateArray())
            {
                names.UnionWith(IndexNames(child));
            }
        }

        return names;
    }
}
