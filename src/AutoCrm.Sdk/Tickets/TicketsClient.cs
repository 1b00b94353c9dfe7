using AutoCrm.Sdk.Search;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Tickets;

/// <summary>
/// Tickets, their conversation and their history, as the caller is allowed to see them (row-level security decides).
/// Get it from <see cref="CrmClient.Tickets"/>.
/// </summary>
public partial class TicketsClient
{
    private const string TicketColumns = "*";
    private readonly RestClient _rest = null!;
    private readonly TimeProvider _timeProvider = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected TicketsClient()
    {
    }

    internal TicketsClient(RestClient rest, TimeProvider timeProvider)
    {
        _rest = rest;
        _timeProvider = timeProvider;
    }

    /// <summary>
    /// Creates a ticket. The SDK generates its id (UUID v7) unless <see cref="NewTicket.Id"/> gives one, and inserts with
    /// <c>Prefer: resolution=ignore-duplicates</c>, so the request is retried safely after a transient failure and never
    /// creates a duplicate; it then reads the row. With an id that already exists, the existing ticket is returned as it is.
    /// </summary>
    /// <param name="ticket">The ticket.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket as stored (with its number, status and timestamps).</returns>
    /// <example><code>var ticket = await crm.Tickets.CreateAsync(new NewTicket { Subject = "Printer on fire", Priority = TicketPriority.Urgent });</code></example>
    public virtual async Task<Ticket> CreateAsync(NewTicket ticket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        using var activity = CrmTelemetry.StartCall("Tickets.Create");
        try
        {
            TicketRules.CheckSubject(ticket.Subject);
            var id = ticket.Id ?? Uuid7.NewGuid(_timeProvider);
            if (id == Guid.Empty)
            {
                throw CrmErrors.Invalid("id", "A ticket id cannot be the empty GUID.");
            }

            activity?.SetTag("autocrm.ticket.id", id);
            var row = new TicketInsertRow(
                id, ticket.Subject, ticket.Priority, ticket.QueueId, ticket.Tags, ticket.Metadata, ticket.RequesterId, ticket.Status, ticket.AssigneeId, ticket.CreatedAt);
            var rows = await _rest.From("tickets")
                .Upsert(row, CrmJsonContext.Default.TicketInsertRow, ignoreDuplicates: true)
                .AsIdempotent()
                .ToListAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);

            // An empty answer means an earlier attempt of this same request already inserted the row.
            var created = rows.Count > 0 ? rows[0] : await GetCoreAsync("id", id, TicketInclude.None, cancellationToken).ConfigureAwait(false);
            if (ticket.Description is { } description)
            {
                await AddMessageAsync(DescriptionMessageId(created.Id), created.Id, description, MessageVisibility.Public, null, cancellationToken).ConfigureAwait(false);
            }

            return created;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Creates a ticket with typed metadata (serialized through <paramref name="metadataType"/>, AOT-safe).</summary>
    /// <typeparam name="TMetadata">The metadata type; it must serialize to a JSON object.</typeparam>
    /// <param name="ticket">The ticket (its <see cref="NewTicket.Metadata"/> is replaced).</param>
    /// <param name="metadata">The metadata.</param>
    /// <param name="metadataType">Its source-generated JSON metadata.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket as stored.</returns>
    public virtual Task<Ticket> CreateAsync<TMetadata>(NewTicket ticket, TMetadata metadata, JsonTypeInfo<TMetadata> metadataType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        return CreateAsync(ticket with { Metadata = CrmMetadata.From(metadata, metadataType) }, cancellationToken);
    }

    /// <summary>Reads a ticket by id.</summary>
    /// <param name="id">The ticket id.</param>
    /// <param name="include">What to read along with it (conversation, events).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not see it.</exception>
    public virtual async Task<Ticket> GetAsync(Guid id, TicketInclude include = TicketInclude.None, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Tickets.Get");
        try
        {
            return await GetCoreAsync("id", id, include, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Reads a ticket by its human-friendly number.</summary>
    /// <param name="number">The ticket number.</param>
    /// <param name="include">What to read along with it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not see it.</exception>
    public virtual async Task<Ticket> GetByNumberAsync(long number, TicketInclude include = TicketInclude.None, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Tickets.GetByNumber");
        try
        {
            return await GetCoreAsync("number", number, include, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>
    /// Lists the tickets matching a query, lazily, by keyset paging on the sort key and id (never by offset), so each
    /// ticket comes exactly once even while others are created. Enumerate it, or use
    /// <see cref="CrmPageable{T}.AsPages(string?)"/> for pages, counts (<see cref="TicketQuery.Count"/>) and continuation
    /// tokens; a token only continues the listing of the same query.
    /// </summary>
    /// <param name="query">The criteria and order; <see langword="null"/> for all visible tickets, oldest first.</param>
    /// <param name="cancellationToken">Cancels every page request (together with the enumeration's own token).</param>
    /// <returns>The listing.</returns>
    /// <exception cref="CrmValidationException"><see cref="TicketQuery.PageSize"/> is out of range (field <c>page_size</c>).</exception>
    /// <example><code>await foreach (var t in crm.Tickets.ListAsync(new TicketQuery { Unassigned = true })) Console.WriteLine(t.Subject);</code></example>
    public virtual CrmPageable<Ticket> ListAsync(TicketQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new TicketQuery();
        Guard.InRange(query.PageSize, 1, TicketQuery.MaxPageSize, "page_size");
        TicketFilters.RefuseSearchOnly(query);
        var sort = query.Sort;
        if (sort == TicketSort.SlaDue)
        {
            return new MappedListing<SlaDueRow, Ticket>(ListBySlaDue(query, cancellationToken), static row => row.Ticket);
        }

        var column = SortColumn(sort);
        return new RestListing<Ticket>(
            TicketFilters.Apply(_rest.From("tickets").Select(TicketFilters.Columns(query)), query),
            new KeysetOrder(column, "id", query.Descending, ManyTies: sort == TicketSort.Priority),
            query.PageSize,
            CrmJsonContext.Default.Ticket,
            sort switch
            {
                TicketSort.Created => static t => (RestText.FormatTimestamp(t.CreatedAt), t.Id.ToString("D")),
                TicketSort.Updated => static t => (RestText.FormatTimestamp(t.UpdatedAt), t.Id.ToString("D")),
                _ => static t => (EnumText.Get(t.Priority), t.Id.ToString("D")),
            },
            query.Count,
            cancellationToken);
    }

    /// <summary>
    /// Searches the tickets the caller may read with a query in the ticket query language (docs/search.md): filters
    /// such as <c>status:open,pending priority&gt;=high tag:billing assignee:me created&gt;2026-01-01</c> and free text
    /// (words, <c>"exact phrases"</c>, <c>-excluded</c> words, <c>or</c>, <c>#123</c>), typo-tolerant. With text the hits
    /// come by relevance (<see cref="TicketSearchHit.Rank"/>), without text in <see cref="TicketQuery.Sort"/> order of
    /// the filters; at most 1,000 (the newest matching tickets). Row-level security decides what is found: a customer's
    /// search never matches or quotes an internal note.
    /// </summary>
    /// <param name="query">The query text.</param>
    /// <param name="cancellationToken">Cancels every page request (together with the enumeration's own token).</param>
    /// <returns>The hits, paged like every listing.</returns>
    /// <exception cref="CrmValidationException">The query does not parse (code <c>invalid_query</c>, field <c>query</c>,
    /// the message names the token and its position; see <see cref="TicketSearchQuery.TryParse"/>).</exception>
    /// <example><code>await foreach (var hit in crm.Tickets.SearchAsync("status:open printer -toner")) Console.WriteLine($"#{hit.Ticket.Number} {hit.Snippet}");</code></example>
    public virtual CrmPageable<TicketSearchHit> SearchAsync(string query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return SearchAsync(TicketSearchQuery.Parse(query, _timeProvider), cancellationToken);
    }

    /// <summary>Searches the tickets the caller may read with a parsed (or built) query; see
    /// <see cref="SearchAsync(string, CancellationToken)"/>. The filter's <see cref="TicketQuery.PageSize"/> and
    /// <see cref="TicketQuery.Count"/> apply; its sort applies when there is no text.</summary>
    /// <param name="search">The query.</param>
    /// <param name="cancellationToken">Cancels every page request (together with the enumeration's own token).</param>
    /// <returns>The hits, paged like every listing.</returns>
    /// <exception cref="CrmValidationException">The page size is out of range (field <c>page_size</c>) or the text is
    /// longer than <see cref="TicketSearchQuery.MaxLength"/> (field <c>query</c>).</exception>
    public virtual CrmPageable<TicketSearchHit> SearchAsync(TicketSearchQuery search, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        var filter = search.Filter;
        Guard.InRange(filter.PageSize, 1, TicketQuery.MaxPageSize, "page_size");
        TicketFilters.RefuseSla(filter);
        if (search.Text.Length > TicketSearchQuery.MaxLength)
        {
            throw CrmErrors.Invalid("query", $"A search query has at most {TicketSearchQuery.MaxLength} characters; this one has {search.Text.Length}.");
        }

        var arguments = new List<KeyValuePair<string, object?>> { new("query", search.Text) };
        if (TicketSearchFilters.ToJson(filter) is { } filters)
        {
            arguments.Add(new("filters", filters));
        }

        var call = _rest.RpcGet("search_tickets", arguments).Select(TicketColumns);
        if (search.HasText)
        {
            return new RestListing<TicketSearchHit>(
                call,
                new KeysetOrder("rank", "id", Descending: true),
                filter.PageSize,
                CrmJsonContext.Default.TicketSearchHit,
                static h => (h.Rank.ToString("R", System.Globalization.CultureInfo.InvariantCulture), h.Ticket.Id.ToString("D")),
                filter.Count,
                cancellationToken);
        }

        return new RestListing<TicketSearchHit>(
            call,
            new KeysetOrder(SortColumn(filter.Sort), "id", filter.Descending),
            filter.PageSize,
            CrmJsonContext.Default.TicketSearchHit,
            filter.Sort switch
            {
                TicketSort.Created => static h => (RestText.FormatTimestamp(h.Ticket.CreatedAt), h.Ticket.Id.ToString("D")),
                TicketSort.Updated => static h => (RestText.FormatTimestamp(h.Ticket.UpdatedAt), h.Ticket.Id.ToString("D")),
                _ => static h => (EnumText.Get(h.Ticket.Priority), h.Ticket.Id.ToString("D")),
            },
            filter.Count,
            cancellationToken);
    }

    /// <summary>
    /// "Due soonest": the listing reads the SLA states from their due-time index (a page, whatever the table's size), with
    /// each ticket embedded (and filtered through the embed), keyset-paged on the due time and the ticket id.
    /// </summary>
    private RestListing<SlaDueRow> ListBySlaDue(TicketQuery query, CancellationToken cancellationToken)
    {
        var states = _rest.From("ticket_sla_states")
            .Select("due_at,ticket_id,ticket:tickets!inner(" + TicketFilters.Columns(query, slaFilter: false) + ")")
            .Not(RestFilter.Is("due_at", null));
        if (query.SlaBreached)
        {
            states = states.Not(RestFilter.Is("breached_at", null));
        }

        return new RestListing<SlaDueRow>(
            TicketFilters.Apply(states, query, "ticket."),
            new KeysetOrder("due_at", "ticket_id", query.Descending),
            query.PageSize,
            CrmJsonContext.Default.SlaDueRow,
            static r => (RestText.FormatTimestamp(r.DueAt), r.TicketId.ToString("D")),
            query.Count,
            cancellationToken);
    }

    private static string SortColumn(TicketSort sort) => sort switch
    {
        TicketSort.Created => "created_at",
        TicketSort.Updated => "updated_at",
        TicketSort.Priority => "priority",
        _ => throw CrmErrors.Invalid("sort", $"{sort} is not a ticket sort."),
    };

    /// <summary>Changes a ticket: only the properties set on <paramref name="patch"/> are sent.</summary>
    /// <param name="id">The ticket id.</param>
    /// <param name="patch">The change.</param>
    /// <param name="expectedVersion">The <see cref="Ticket.Version"/> you based the change on; the update fails with
    /// <see cref="CrmConflictException"/> (code <c>version_mismatch</c>) if the ticket changed since. Version-guarded
    /// updates are retried safely on transient failures.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed ticket.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not see it.</exception>
    /// <exception cref="CrmConflictException">The version did not match.</exception>
    /// <exception cref="CrmForbiddenException">The caller may not make this change (e.g. a customer changing the assignee).</exception>
    public virtual async Task<Ticket> UpdateAsync(Guid id, TicketPatch patch, int? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var activity = CrmTelemetry.StartCall("Tickets.Update");
        try
        {
            if (patch.Subject is { } subject)
            {
                TicketRules.CheckSubject(subject);
            }

            if (patch.IsEmpty)
            {
                return await GetCoreAsync("id", id, TicketInclude.None, cancellationToken).ConfigureAwait(false);
            }

            var body = patch.ToJson();
            var target = _rest.From("tickets").Eq("id", id);
            var update = expectedVersion is { } v ? target.Eq("version", v).AsIdempotent() : target;
            var rows = await update.Update(body).ToListAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);
            if (rows.Count > 0)
            {
                return rows[0];
            }

            var current = await target.Select(TicketColumns).MaybeSingleAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false)
                ?? throw CrmErrors.NotFound($"Ticket {id}");
            if (expectedVersion is { } expected && current.Version != expected)
            {
                // A retried request whose first attempt committed finds its own change one version later.
                if (current.Version == expected + 1 && Applied(body, current))
                {
                    return current;
                }

                throw new CrmConflictException(new CrmErrorInfo
                {
                    Status = 409,
                    Code = "version_mismatch",
                    Message = $"Ticket {id} changed meanwhile: expected version {expected}, found {current.Version}.",
                    Details = $"expected {expected}, actual {current.Version}",
                });
            }

            throw new CrmForbiddenException(new CrmErrorInfo { Status = 403, Code = "update_denied", Message = $"The caller may read ticket {id} but not change it." });
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a ticket and replaces its metadata with a typed value.</summary>
    /// <typeparam name="TMetadata">The metadata type; it must serialize to a JSON object.</typeparam>
    /// <param name="id">The ticket id.</param>
    /// <param name="patch">Other changes (its metadata is replaced).</param>
    /// <param name="metadata">The new metadata.</param>
    /// <param name="metadataType">Its source-generated JSON metadata.</param>
    /// <param name="expectedVersion">See <see cref="UpdateAsync(Guid, TicketPatch, int?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed ticket.</returns>
    public virtual Task<Ticket> UpdateAsync<TMetadata>(
        Guid id, TicketPatch patch, TMetadata metadata, JsonTypeInfo<TMetadata> metadataType, int? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        return UpdateAsync(id, patch with { Metadata = CrmMetadata.From(metadata, metadataType) }, expectedVersion, cancellationToken);
    }

    /// <summary>Adds a public reply, which the customer sees. Retried safely (client-generated id).</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="body">The text.</param>
    /// <param name="metadata">Open-shaped data for the message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The message as stored.</returns>
    public virtual async Task<TicketMessage> ReplyAsync(Guid ticketId, string body, CrmMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Tickets.Reply");
        try
        {
            return await AddMessageAsync(ticketId, body, MessageVisibility.Public, metadata, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Adds an internal note, which only agents and admins see (customers are refused by the database).</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="body">The text.</param>
    /// <param name="metadata">Open-shaped data for the message.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The note as stored.</returns>
    public virtual async Task<TicketMessage> AddInternalNoteAsync(Guid ticketId, string body, CrmMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Tickets.AddInternalNote");
        try
        {
            return await AddMessageAsync(ticketId, body, MessageVisibility.Internal, metadata, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Lists a ticket's messages, oldest first (internal notes only for agents and admins), counted.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (pages of 100; <see cref="CrmPage{T}.TotalCount"/> is exact).</returns>
    public virtual CrmPageable<TicketMessage> ListMessagesAsync(Guid ticketId, CancellationToken cancellationToken = default) =>
        new RestListing<TicketMessage>(
            _rest.From("ticket_messages").Eq("ticket_id", ticketId),
            new KeysetOrder("created_at", "id", Descending: false),
            ShortListPageSize,
            CrmJsonContext.Default.TicketMessage,
            static m => (RestText.FormatTimestamp(m.CreatedAt), m.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Lists a ticket's history, oldest first, counted.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (pages of 100; <see cref="CrmPage{T}.TotalCount"/> is exact).</returns>
    public virtual CrmPageable<TicketEvent> ListEventsAsync(Guid ticketId, CancellationToken cancellationToken = default) =>
        new RestListing<TicketEvent>(
            _rest.From("ticket_events").Eq("ticket_id", ticketId),
            new KeysetOrder(null, "id", Descending: false),
            ShortListPageSize,
            CrmJsonContext.Default.TicketEvent,
            static e => (null, CrmErrors.Invariant(e.Id)),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Deletes a ticket with its messages and history (admins, or the service key).</summary>
    /// <param name="id">The ticket id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the ticket is gone.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not delete it.</exception>
    public virtual async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Tickets.Delete");
        try
        {
            var rows = await _rest.From("tickets").Eq("id", id).Select("id").Delete()
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() == 0)
            {
                throw new CrmNotFoundException(new CrmErrorInfo
                {
                    Status = 404,
                    Code = "not_found",
                    Message = $"Ticket {id} does not exist or the caller may not delete it.",
                    IsTransient = false,
                });
            }
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    // ---- internals ---------------------------------------------------------------------------------

    /// <summary>The page size of listings that belong to one ticket or queue.</summary>
    internal const int ShortListPageSize = 100;

    internal async Task<Ticket> GetCoreAsync(string key, object value, TicketInclude include, CancellationToken cancellationToken)
    {
        Ticket ticket;
        try
        {
            ticket = await _rest.From("tickets").Select(SelectFor(include)).Eq(key, value)
                .SingleAsync(CrmJsonContext.Default.Ticket, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw CrmErrors.NotFound(key == "number" ? $"Ticket #{value}" : $"Ticket {value}", ex);
        }

        return Ordered(ticket);
    }

    private Task<TicketMessage> AddMessageAsync(Guid ticketId, string body, MessageVisibility visibility, CrmMetadata? metadata, CancellationToken cancellationToken) =>
        AddMessageAsync(Uuid7.NewGuid(_timeProvider), ticketId, body, visibility, metadata, cancellationToken);

    /// <summary>The id of a ticket's description message: a name-based UUID (version 8, from SHA-256) of the ticket id.</summary>
    internal static Guid DescriptionMessageId(Guid ticketId)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("autocrm-ticket-description:" + ticketId.ToString("D")), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private async Task<TicketMessage> AddMessageAsync(Guid id, Guid ticketId, string body, MessageVisibility visibility, CrmMetadata? metadata, CancellationToken cancellationToken)
    {
        TicketRules.CheckBody(body);
        var rows = await _rest.From("ticket_messages")
            .Upsert(new MessageInsertRow(id, ticketId, visibility, body, metadata), CrmJsonContext.Default.MessageInsertRow, ignoreDuplicates: true)
            .AsIdempotent()
            .ToListAsync(CrmJsonContext.Default.TicketMessage, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0
            ? rows[0]
            : await _rest.From("ticket_messages").Eq("id", id).SingleAsync(CrmJsonContext.Default.TicketMessage, cancellationToken).ConfigureAwait(false);
    }

    private static string SelectFor(TicketInclude include) => include switch
    {
        TicketInclude.None => TicketFilters.TicketWithSla,
        TicketInclude.Conversation => TicketFilters.TicketWithSla + ",conversation_history:ticket_messages(*)",
        TicketInclude.Events => TicketFilters.TicketWithSla + ",events:ticket_events(*)",
        _ => TicketFilters.TicketWithSla + ",conversation_history:ticket_messages(*),events:ticket_events(*)",
    };

    private static Ticket Ordered(Ticket ticket)
    {
        // Embedded rows come in no guaranteed order; sort here rather than rely on embed-order parameters.
        if (ticket.ConversationHistory is { Count: > 1 } messages)
        {
            ticket = ticket with { ConversationHistory = [.. messages.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)] };
        }

        if (ticket.Events is { Count: > 1 } events)
        {
            ticket = ticket with { Events = [.. events.OrderBy(e => e.Id)] };
        }

        return ticket;
    }

    private static bool Applied(JsonObject patch, Ticket current)
    {
        var stored = JsonSerializer.SerializeToNode(current, CrmJsonContext.Default.Ticket)!.AsObject();
        foreach (var (key, value) in patch)
        {
            var left = value is null ? null : JsonNode.Parse(value.ToJsonString());
            var right = stored[key] is { } r ? JsonNode.Parse(r.ToJsonString()) : null;
            if (!JsonNode.DeepEquals(left, right))
            {
                return false;
            }
        }

        return true;
    }
}
