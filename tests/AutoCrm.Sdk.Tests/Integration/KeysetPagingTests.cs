using System.Text.Json.Nodes;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// Keyset paging through the DevStack with row-level security on: every sort, both directions, many ties on the sort key
/// (a few creation instants, four priorities). Each page is bounded by the last one's key (and a priority's ties are read by
/// id), so the listing must still come out complete, without repeats and in exactly (key, id) order.
/// </summary>
public sealed class KeysetPagingTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TicketSort.Created, false)]
    [InlineData(TicketSort.Created, true)]
    [InlineData(TicketSort.Updated, false)]
    [InlineData(TicketSort.Updated, true)]
    [InlineData(TicketSort.Priority, false)]
    [InlineData(TicketSort.Priority, true)]
    public async Task Pages_come_out_complete_and_in_key_then_id_order_despite_ties(TicketSort sort, bool descending)
    {
        var queue = await stack.CreateQueueAsync();
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var start = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var rows = new JsonArray();
        for (var i = 0; i < 230; i++)
        {
            rows.Add(new JsonObject
            {
                ["id"] = Guid.NewGuid().ToString(),
                ["subject"] = $"keyset #{i}",
                ["queue_id"] = queue.Id.ToString(),
                ["requester_id"] = customer.Id.ToString(),
                ["priority"] = ((TicketPriority)(i * 7 % 4)).ToString().ToLowerInvariant(),
                ["created_at"] = start.AddSeconds(i % 9).ToString("O"),
            });
        }

        await stack.Service.Rest.From("tickets").Insert(rows).ExecuteAsync(Ct);
        var stored = await ListAllAsync(stack.Service, new TicketQuery { QueueId = queue.Id, PageSize = 1000 });
        Assert.Equal(230, stored.Count);
        var expected = Order(stored, sort, descending).Select(t => t.Id).ToList();

        var query = new TicketQuery { QueueId = queue.Id, Sort = sort, Descending = descending, PageSize = 17 };
        var paged = await ListAllAsync(agent.Crm, query);
        Assert.Equal(expected, paged.Select(t => t.Id).ToList());
    }

    private static async Task<List<Ticket>> ListAllAsync(CrmClient crm, TicketQuery query)
    {
        var all = new List<Ticket>();
        await foreach (var ticket in crm.Tickets.ListAsync(query).WithCancellation(Ct))
        {
            all.Add(ticket);
        }

        return all;
    }

    private static IEnumerable<Ticket> Order(IEnumerable<Ticket> tickets, TicketSort sort, bool descending)
    {
        Func<Ticket, IComparable> key = sort switch
        {
            TicketSort.Created => t => t.CreatedAt,
            TicketSort.Updated => t => t.UpdatedAt,
            _ => t => t.Priority,
        };

        // PostgreSQL orders uuids by their bytes in big-endian order; Guid.CompareTo does not.
        static string Bytes(Guid id) => Convert.ToHexString(id.ToByteArray(bigEndian: true));
        return descending
            ? tickets.OrderByDescending(key).ThenByDescending(t => Bytes(t.Id), StringComparer.Ordinal)
            : tickets.OrderBy(key).ThenBy(t => Bytes(t.Id), StringComparer.Ordinal);
    }
}
