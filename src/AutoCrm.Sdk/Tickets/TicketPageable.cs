using System.Runtime.CompilerServices;
using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Tickets;

/// <summary>Keyset paging over tickets: each page continues strictly after the (sort key, id) of the previous one.</summary>
internal sealed class TicketPageable(RestClient rest, TicketQuery query) : CrmPageable<Ticket>
{
    public override IAsyncEnumerable<CrmPage<Ticket>> AsPages(string? continuationToken = null) =>
        PagesAsync(continuationToken is null ? null : DecodeToken(continuationToken));

    private async IAsyncEnumerable<CrmPage<Ticket>> PagesAsync(TicketCursor? cursor, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var filtered = Filtered(rest.From("tickets"), query);
        var column = SortColumn(query.Sort);
        var baseQuery = filtered.Order(column, query.Descending).Order("id", query.Descending).Limit(query.PageSize);
        while (true)
        {
            using var activity = CrmTelemetry.StartCall("Tickets.ListPage");
            var rows = cursor is null
                ? await baseQuery.ToListAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false)
                : query.Sort == TicketSort.Priority
                    ? await PriorityPageAfterAsync(filtered, cursor, cancellationToken).ConfigureAwait(false)
                    : await After(baseQuery, column, query.Descending, cursor).ToListAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);
            cursor = rows.Count < query.PageSize ? null : CursorOf(rows[^1], query.Sort);
            yield return new CrmPage<Ticket> { Items = rows, ContinuationToken = cursor is null ? null : EncodeToken(cursor) };
            if (cursor is null)
            {
                yield break;
            }
        }
    }

    internal static RestQuery Filtered(RestQuery q, TicketQuery query)
    {
        if (query.Statuses is { Count: > 0 } statuses)
        {
            q = q.In("status", statuses);
        }

        if (query.Priorities is { Count: > 0 } priorities)
        {
            q = q.In("priority", priorities);
        }

        if (query.QueueId is { } queue)
        {
            q = q.Eq("queue_id", queue);
        }

        if (query.Unassigned)
        {
            q = q.Is("assignee_id", null);
        }
        else if (query.AssigneeId is { } assignee)
        {
            q = q.Eq("assignee_id", assignee);
        }

        if (query.RequesterId is { } requester)
        {
            q = q.Eq("requester_id", requester);
        }

        if (query.TagsAny is { Count: > 0 } any)
        {
            q = q.Overlaps("tags", any);
        }

        if (query.TagsAll is { Count: > 0 } all)
        {
            q = q.Contains("tags", all);
        }

        if (query.MetadataContains is { } metadata)
        {
            q = q.Contains("metadata", (System.Text.Json.Nodes.JsonNode)metadata);
        }

        if (query.CreatedFrom is { } createdFrom)
        {
            q = q.Gte("created_at", createdFrom);
        }

        if (query.CreatedTo is { } createdTo)
        {
            q = q.Lt("created_at", createdTo);
        }

        if (query.UpdatedFrom is { } updatedFrom)
        {
            q = q.Gte("updated_at", updatedFrom);
        }

        if (query.UpdatedTo is { } updatedTo)
        {
            q = q.Lt("updated_at", updatedTo);
        }

        if (!string.IsNullOrEmpty(query.SubjectContains))
        {
            q = q.ILike("subject", "*" + EscapeLike(query.SubjectContains) + "*");
        }

        return q;
    }

    // The bound on the sort key alone (<= or >=) is what lets PostgreSQL start an index scan at the cursor, so a deep page
    // costs what the first one does; the or() then drops the ties already read. Timestamps have few ties.
    private static RestQuery After(RestQuery q, string column, bool descending, TicketCursor cursor)
    {
        var op = descending ? "lt" : "gt";
        return q.Where(RestFilter.Where(column, descending ? "lte" : "gte", cursor.Value)).Or(
            RestFilter.Where(column, op, cursor.Value),
            RestFilter.And(RestFilter.Eq(column, cursor.Value), RestFilter.Where("id", op, cursor.Id)));
    }

    // A priority has a quarter of a million ties at scale, so a bound on priority alone would still skip every row read
    // before. The page is read as the rest of the cursor's priority (priority = p, id beyond the cursor: one index range)
    // and, when that runs out, the next priorities: two bounded requests at most.
    private async Task<IReadOnlyList<Ticket>> PriorityPageAfterAsync(RestQuery filtered, TicketCursor cursor, CancellationToken cancellationToken)
    {
        var op = query.Descending ? "lt" : "gt";
        var rows = await filtered.Where(RestFilter.Eq("priority", cursor.Value)).Where(RestFilter.Where("id", op, cursor.Id))
            .Order("id", query.Descending).Limit(query.PageSize)
            .ToListAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);
        if (rows.Count == query.PageSize)
        {
            return rows;
        }

        var following = await filtered.Where(RestFilter.Where("priority", op, cursor.Value))
            .Order("priority", query.Descending).Order("id", query.Descending).Limit(query.PageSize - rows.Count)
            .ToListAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? following : [.. rows, .. following];
    }

    private static string SortColumn(TicketSort sort) => sort switch
    {
        TicketSort.Created => "created_at",
        TicketSort.Updated => "updated_at",
        TicketSort.Priority => "priority",
        _ => throw new ArgumentOutOfRangeException(nameof(sort)),
    };

    private static TicketCursor CursorOf(Ticket last, TicketSort sort) => sort switch
    {
        TicketSort.Created => new TicketCursor(RestText.FormatTimestamp(last.CreatedAt), last.Id),
        TicketSort.Updated => new TicketCursor(RestText.FormatTimestamp(last.UpdatedAt), last.Id),
        _ => new TicketCursor(EnumText.Get(last.Priority), last.Id),
    };

    private static string EncodeToken(TicketCursor cursor) =>
        Base64UrlText.Encode(JsonSerializer.SerializeToUtf8Bytes(cursor, CrmJsonContext.Default.TicketCursor));

    private static TicketCursor DecodeToken(string token)
    {
        var bytes = Base64UrlText.TryDecode(token);
        try
        {
            return bytes is null ? throw new FormatException() : JsonSerializer.Deserialize(bytes, CrmJsonContext.Default.TicketCursor) ?? throw new FormatException();
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new ArgumentException("The continuation token is not one this listing produced.", nameof(token), ex);
        }
    }

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal);
}
