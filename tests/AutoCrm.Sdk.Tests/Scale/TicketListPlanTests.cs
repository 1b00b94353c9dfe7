using System.Text;
using System.Text.Json;
using AutoCrm.Sdk.Tickets;
using AutoCrm.Scale;
using Npgsql;

namespace AutoCrm.Sdk.Tests.Scale;

/// <summary>
/// Pins every ticket list a real caller sends (bench/Shared/TicketListShapes.cs: the shapes, the web host's pages,
/// the console tool's commands) to an index: on a generated 100 000-ticket database, the EXPLAIN ANALYZE of the exact
/// request the SDK builds, sent as the shape's role through the DevStack with row-level security on, reads no table
/// sequentially and sorts no more than a page of rows; a keyset page deep in a listing reads no more rows than a page
/// near its start would. Plans, not timings: a migration that drops or reshapes an index these lists need fails here.
/// </summary>
public sealed partial class TicketListPlanTests(PlanDatabaseFixture database) : IClassFixture<PlanDatabaseFixture>
{
    public static TheoryData<string> PinnedShapes()
    {
        var data = new TheoryData<string>();
        foreach (var shape in TicketListShapes.All.Where(s => s.Gap is null))
        {
            data.Add(shape.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PinnedShapes))]
    public async Task Each_list_shape_is_read_from_an_index_a_page_at_a_time(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var shape = TicketListShapes.All.Single(s => s.Name == name);
        var query = shape.Query(database.Facts);
        var plans = await PlansAsync(shape.Role, query, shape.Deep, ct);

        Assert.NotEmpty(plans);
        foreach (var plan in plans)
        {
            var nodes = Nodes(plan.GetProperty("Plan")).ToList();
            Assert.DoesNotContain(nodes, n => n.Type == "Seq Scan" && n.Relation is "tickets" or "ticket_sla_states");
            foreach (var sort in nodes.Where(n => n.Type is "Sort" or "Incremental Sort"))
            {
                Assert.True(sort.InputRows <= query.PageSize, $"{name}: a sort over {sort.InputRows} rows (page {query.PageSize})\n{plan}");
            }

            if (shape.Deep is not null)
            {
                var read = nodes.Where(n => n.Relation == "tickets").Sum(n => n.RowsRead);
                Assert.True(read <= 20 * query.PageSize, $"{name}: the deep page read {read} ticket rows for a page of {query.PageSize}\n{plan}");
            }
        }
    }

    [Fact]
    public async Task Queue_stats_reads_the_counters_not_the_tickets()
    {
        var ct = TestContext.Current.CancellationToken;
        using var handler = new PlanCapturingHandler();
        using var agent = await database.SignInAsync(ShapeRole.Admin, handler, ct);
        handler.Capturing = true;

        // A PostgreSQL backend's first call of a function loads the catalog rows its query needs and plans it, and those
        // reads count in the call's buffers (about 1,500 blocks, whatever the function reads). The API's connection pool
        // hands out its idle connections in turn, so a call may land on a connection that never ran queue_stats(). The
        // cheapest of ten calls is one on a warm connection: what every later call of that connection costs.
        for (var call = 0; call < 10; call++)
        {
            await agent.Queues.GetStatsAsync(ct);
        }

        // Counting 100 000 tickets touches thousands of pages; the counters and one index probe per queue, a few dozen.
        var roots = handler.Plans.Select(plan => plan.GetProperty("Plan")).ToList();
        Assert.Equal(10, roots.Count);
        var cheapest = roots.MinBy(Blocks);
        Assert.True(Blocks(cheapest) < 600, $"queue_stats() touched {Blocks(cheapest)} blocks on its cheapest call\n{cheapest}");

        static long Blocks(JsonElement root) => root.GetProperty("Shared Hit Blocks").GetInt64() + root.GetProperty("Shared Read Blocks").GetInt64();
    }

    [Fact]
    public async Task The_generated_database_has_the_shapes_the_pinned_plans_assume()
    {
        // Guards the test itself: a shape that matched nothing would pass for the wrong reason.
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            select count(*), count(*) filter (where status in ('new', 'open') and queue_id = $1), count(*) filter (where requester_id = $2)
              from public.tickets
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = database.Facts.BusyQueue });
        command.Parameters.Add(new NpgsqlParameter { Value = database.Facts.HeavyCustomerId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        Assert.Equal(PlanDatabaseFixture.Tickets, reader.GetInt64(0));
        Assert.True(reader.GetInt64(1) > 600, "the busiest queue's backlog is deeper than the inbox's deep page");
        Assert.True(reader.GetInt64(2) > 100, "the heaviest customer has more than two pages of tickets");
    }

    private async Task<List<JsonElement>> PlansAsync(ShapeRole role, TicketQuery query, DeepCursor? deep, CancellationToken ct)
    {
        using var handler = new PlanCapturingHandler();
        using var client = await database.SignInAsync(role, handler, ct);
        var token = deep is null ? null : await TokenAsync(client, query, deep, ct);
        handler.Capturing = true;
        await foreach (var _ in client.Tickets.ListAsync(query).AsPages(token).WithCancellation(ct))
        {
            break;
        }

        return handler.Plans;
    }

    /// <summary>
    /// The SDK's continuation token for the cursor's row (its depth scaled to this database): a real token of the listing
    /// (from a one-row first page), moved to that row.
    /// </summary>
    private async Task<string> TokenAsync(CrmClient client, TicketQuery query, DeepCursor deep, CancellationToken ct)
    {
        var first = await client.Tickets.ListAsync(query with { PageSize = 1 }).AsPages().FirstAsync(ct);
        var own = JsonSerializer.Deserialize(Internal.Base64UrlText.TryDecode(first.ContinuationToken!)!, Internal.CrmJsonContext.Default.PageCursor)!;

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(deep.Query(PlanDatabaseFixture.Tickets), connection);
        if (deep.Sql.Contains("$1", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = database.Facts.BusyQueue });
        }

        await using var reader = await command.ExecuteReaderAsync(ct);
        Assert.True(await reader.ReadAsync(ct), "the listing is deep enough for the cursor");
        var cursor = own with { Value = Internal.RestText.FormatTimestamp(reader.GetFieldValue<DateTimeOffset>(0)), Key = reader.GetGuid(1).ToString("D") };
        return Internal.ContinuationTokens.Encode(cursor);
    }

    private static IEnumerable<PlanNode> Nodes(JsonElement node)
    {
        var children = node.TryGetProperty("Plans", out var plans) ? plans.EnumerateArray().ToList() : [];
        long Rows(JsonElement n) => (long)(n.GetProperty("Actual Rows").GetDouble() * n.GetProperty("Actual Loops").GetDouble());
        long Removed(JsonElement n) => n.TryGetProperty("Rows Removed by Filter", out var r) ? (long)(r.GetDouble() * n.GetProperty("Actual Loops").GetDouble()) : 0;
        yield return new PlanNode(
            node.GetProperty("Node Type").GetString()!,
            node.TryGetProperty("Relation Name", out var relation) ? relation.GetString() : null,
            children.Where(c => c.TryGetProperty("Parent Relationship", out var p) && p.GetString() == "Outer").Sum(Rows),
            Rows(node) + Removed(node));
        foreach (var child in children)
        {
            foreach (var descendant in Nodes(child))
            {
                yield return descendant;
            }
        }
    }

    /// <param name="InputRows">Rows the node read from its outer child (what a sort sorted).</param>
    /// <param name="RowsRead">Rows the node produced plus those its filter removed (what a scan read).</param>
    private sealed record PlanNode(string Type, string? Relation, long InputRows, long RowsRead);
}
