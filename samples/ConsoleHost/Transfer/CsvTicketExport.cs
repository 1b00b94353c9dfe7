using System.Globalization;
using System.Text.Json;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Search;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Transfer;

/// <summary>
/// <c>autocrm export --format csv</c>: one row per ticket the caller may see, with a column per custom field she may see
/// (agent-only ones for staff), written page by page as the SDK's keyset paging reads them. The columns are those
/// <c>autocrm import</c> reads, so a file imports back: queue by slug, requester and assignee by email, tags separated by
/// <c>;</c>, free-form metadata as a JSON object, field values in the text the import converts.
/// </summary>
internal sealed class CsvTicketExport(CrmClient crm)
{
    internal const int PageSize = 200;

    private static readonly string[] TicketColumns =
        ["id", "number", "subject", "status", "priority", "queue", "requester", "assignee", "tags", "created_at", "updated_at", "metadata"];

    private readonly Dictionary<Guid, string> _emails = [];

    /// <summary>Writes the header and every matching ticket; returns how many.</summary>
    internal async Task<int> WriteAsync(TextWriter writer, TicketSearchQuery? search, CancellationToken cancellationToken)
    {
        var fields = (await crm.Fields.ListAsync(includeArchived: true, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false))
            .OrderBy(f => f.Position).ThenBy(f => f.Key, StringComparer.Ordinal).ToList();
        var agentOnly = fields.Where(f => !f.CustomerVisible).Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var queues = (await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(q => q.Id, q => q.Slug);

        CsvWriter.WriteRecord(writer, [.. TicketColumns, .. fields.Select(f => f.Key)]);
        var count = 0;
        await foreach (var page in Pages(search).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var agentValues = agentOnly.Count == 0 ? [] : await AgentValuesAsync(page, cancellationToken).ConfigureAwait(false);
            await ResolveEmailsAsync(page, cancellationToken).ConfigureAwait(false);
            foreach (var ticket in page)
            {
                var agent = agentValues.GetValueOrDefault(ticket.Id);
                CsvWriter.WriteRecord(writer,
                [
                    ticket.Id.ToString(),
                    ticket.Number.ToString(CultureInfo.InvariantCulture),
                    ticket.Subject,
                    Label(ticket.Status),
                    Label(ticket.Priority),
                    ticket.QueueId is { } q ? queues.GetValueOrDefault(q, q.ToString()) : "",
                    Person(ticket.RequesterId),
                    ticket.AssigneeId is { } a ? Person(a) : "",
                    string.Join(';', ticket.Tags),
                    ticket.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                    ticket.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
                    FreeForm(ticket.Metadata, fields),
                    .. fields.Select(f => Cell(agentOnly.Contains(f.Key) ? agent?[f.Key] : ticket.Metadata[f.Key])),
                ]);
                count++;
            }

            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    /// <summary>The tickets page by page: the listing (oldest first) for filters, the search for free text.</summary>
    private async IAsyncEnumerable<IReadOnlyList<Ticket>> Pages(TicketSearchQuery? search)
    {
        if (search is { HasText: true })
        {
            await foreach (var page in crm.Tickets.SearchAsync(search with { Filter = search.Filter with { PageSize = PageSize } }).AsPages().ConfigureAwait(false))
            {
                yield return [.. page.Items.Select(h => h.Ticket)];
            }

            yield break;
        }

        var query = (search?.Filter ?? new TicketQuery()) with { Sort = TicketSort.Created, Descending = false, PageSize = PageSize };
        await foreach (var page in crm.Tickets.ListAsync(query).AsPages().ConfigureAwait(false))
        {
            yield return page.Items;
        }
    }

    /// <summary>The agent-only values of a page's tickets, in one request (row-level security gives staff theirs).</summary>
    private async Task<Dictionary<Guid, CrmMetadata>> AgentValuesAsync(IReadOnlyList<Ticket> page, CancellationToken cancellationToken)
    {
        var values = new Dictionary<Guid, CrmMetadata>();
        foreach (var chunk in page.Select(t => t.Id).Chunk(100))
        {
            var rows = await crm.Rest.From("ticket_agent_fields").Select("ticket_id,metadata").In("ticket_id", chunk)
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in rows.EnumerateArray())
            {
                values[row.GetProperty("ticket_id").GetGuid()] = CrmMetadata.From(row.GetProperty("metadata"));
            }
        }

        return values;
    }

    /// <summary>Looks up the emails of the people a page names that are not known yet (the caller may read them or not).</summary>
    private async Task ResolveEmailsAsync(IReadOnlyList<Ticket> page, CancellationToken cancellationToken)
    {
        var missing = page.Select(t => t.RequesterId).Concat(page.Select(t => t.AssigneeId).OfType<Guid>()).Distinct().Where(id => !_emails.ContainsKey(id)).ToList();
        foreach (var chunk in missing.Chunk(100))
        {
            var rows = await crm.Rest.From("profiles").Select("id,email").In("id", chunk).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in rows.EnumerateArray())
            {
                if (row.GetProperty("email").GetString() is { Length: > 0 } email)
                {
                    _emails[row.GetProperty("id").GetGuid()] = email;
                }
            }

            // Whoever the caller may not read is written by id, which imports back as well.
            foreach (var id in chunk.Where(id => !_emails.ContainsKey(id)))
            {
                _emails[id] = id.ToString();
            }
        }
    }

    private string Person(Guid id) => _emails.GetValueOrDefault(id, id.ToString());

    /// <summary>The database's label of an enum member (<c>OnHold</c> → <c>on_hold</c>).</summary>
    private static string Label<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    /// <summary>The metadata without the fields' keys (those have their own columns), as JSON; empty for none.</summary>
    private static string FreeForm(CrmMetadata metadata, List<TicketField> fields)
    {
        var rest = fields.Aggregate(metadata, (m, f) => m.Without(f.Key));
        return rest.RootElement.EnumerateObject().Any() ? rest.RootElement.GetRawText() : "";
    }

    /// <summary>A field's value as the import reads it: text as it is, numbers and booleans as JSON, options joined with <c>;</c>.</summary>
    private static string Cell(JsonElement? value) => value switch
    {
        null => "",
        { ValueKind: JsonValueKind.String } s => s.GetString()!,
        { ValueKind: JsonValueKind.Array } a when a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
            string.Join(';', a.EnumerateArray().Select(e => e.GetString())),
        { ValueKind: JsonValueKind.Null } => "",
        { } other => other.GetRawText(),
    };
}
