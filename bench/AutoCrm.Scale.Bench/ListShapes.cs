using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Scale.Bench;

/// <summary>The actors and facts a list shape needs, for one side (before or after) of the comparison.</summary>
internal sealed record ShapeContext(
    Schema Schema,
    Actor Admin,
    Actor Agent,
    Actor HeavyCustomer,
    Actor TypicalCustomer,
    ShapeFacts Facts,
    long AgentTicketNumber,
    IReadOnlyDictionary<string, (DateTimeOffset CreatedAt, Guid Id)> Cursors)
{
    public Actor For(ShapeRole role) => role switch
    {
        ShapeRole.Admin => Admin,
        ShapeRole.Agent => Agent,
        ShapeRole.HeavyCustomer => HeavyCustomer,
        _ => TypicalCustomer,
    };
}

/// <summary>One benchmarked request: a ticket list of <see cref="TicketListShapes"/> or another call a page makes.</summary>
internal sealed record BenchShape(string Name, string Role, Func<ShapeContext, CancellationToken, Task<int>> Run);

internal static class ListShapes
{
    public static IReadOnlyList<BenchShape> All { get; } =
    [
        .. TicketListShapes.All.Take(6).Select(List),
        new("queue_stats() as an agent", "agent", async (c, ct) => (await c.Agent.Client.Queues.GetStatsAsync(ct)).Count),
        new("queue_stats() as an admin", "admin", async (c, ct) => (await c.Admin.Client.Queues.GetStatsAsync(ct)).Count),
        new("one ticket by number with its conversation", "agent",
            async (c, ct) => (await c.Agent.Client.Tickets.GetByNumberAsync(c.AgentTicketNumber, TicketInclude.Conversation, ct)).ConversationHistory?.Count ?? 0),
        .. TicketListShapes.All.Skip(6).Select(List),
        .. SearchShapes(),
    ];

    /// <summary>
    /// Issue #14's search goals: a selective term (a made-up product name of Zipf rank 3,000, in a handful of tickets)
    /// and a frequent one ("invoice", one of the most common subject words), as an agent and as a customer, first page.
    /// </summary>
    private static IEnumerable<BenchShape> SearchShapes()
    {
        var rare = BenchData.Generator(1_000).ProductNames[3_000];
        foreach (var (term, kind) in new[] { (rare, "selective"), ("invoice", "frequent"), ("invoce", "typo of a frequent") })
        {
            yield return new($"search: {kind} term as an agent", "agent", (c, ct) => Search(c.Agent, term, ct));
            yield return new($"search: {kind} term as a customer", "customer", (c, ct) => Search(c.HeavyCustomer, term, ct));
        }
    }

    private static async Task<int> Search(Actor actor, string term, CancellationToken ct)
    {
        await foreach (var page in actor.Client.Tickets.SearchAsync(term, ct).AsPages().WithCancellation(ct))
        {
            return page.Items.Count;
        }

        return 0;
    }

    private static BenchShape List(TicketListShape shape) => new(shape.Name, shape.Role.ToString(), (c, ct) =>
    {
        var actor = c.For(shape.Role);
        var query = shape.Query(c.Facts);
        return shape.Deep is null ? Page(actor, query, null, ct) : DeepPage(c, actor, query, c.Cursors[shape.Name], ct);
    });

    private static async Task<int> Page(Actor actor, TicketQuery query, string? token, CancellationToken ct)
    {
        await foreach (var page in actor.Client.Tickets.ListAsync(query).AsPages(token).WithCancellation(ct))
        {
            return page.Items.Count;
        }

        return 0;
    }

    /// <summary>
    /// A keyset page deep in a listing (created_at order). After: the SDK resumes from a continuation token for that
    /// position. Before: the request main's SDK sent for the same page (the or() on created_at and id, with no bound).
    /// </summary>
    private static async Task<int> DeepPage(ShapeContext c, Actor actor, TicketQuery query, (DateTimeOffset CreatedAt, Guid Id) cursor, CancellationToken ct)
    {
        var value = cursor.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);
        if (c.Schema == Schema.After)
        {
            var token = await Tokens.GetOrAdd((c.Schema, actor.Role, cursor.Id.ToString("D")), _ => TokenAsync(actor, query, ct));
            return await Page(actor, query, Moved(token, value, cursor.Id), ct);
        }

        var request = actor.Client.Rest.From("tickets");
        if (query.QueueId is { } queue)
        {
            request = request.Eq("queue_id", queue);
        }

        if (query.Statuses is { Count: > 0 } statuses)
        {
            request = request.In("status", statuses);
        }

        var rows = await request
            .Or(RestFilter.Lt("created_at", value), RestFilter.And(RestFilter.Eq("created_at", value), RestFilter.Lt("id", cursor.Id)))
            .Order("created_at", descending: true).Order("id", descending: true).Limit(query.PageSize)
            .ToJsonAsync(ct);
        return rows.GetArrayLength();
    }

    private static readonly ConcurrentDictionary<(Schema, string, string), Task<string>> Tokens = new();

    /// <summary>A real continuation token of the listing (after its first row), read once per listing, role and side.</summary>
    private static async Task<string> TokenAsync(Actor actor, TicketQuery query, CancellationToken ct)
    {
        await foreach (var page in actor.Client.Tickets.ListAsync(query with { PageSize = 1 }).AsPages().WithCancellation(ct))
        {
            return page.ContinuationToken ?? throw new InvalidOperationException("the listing has a single row");
        }

        throw new InvalidOperationException("the listing is empty");
    }

    /// <summary>
    /// <paramref name="token"/> (base64url JSON: the listing's fingerprint "l", sort value "v", key "k", count "n") moved to
    /// another position: a bench-only shortcut to page 10,000 without reading the 9,999 before it.
    /// </summary>
    private static string Moved(string token, string value, Guid id)
    {
        var padded = token.Replace('-', '+').Replace('_', '/');
        var json = JsonNode.Parse(Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=')))!.AsObject();
        json["v"] = value;
        json["k"] = id.ToString("D");
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
