using System.Text.Json.Nodes;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Tickets;

/// <summary>Turns a <see cref="TicketQuery"/> into PostgREST filters.</summary>
internal static class TicketFilters
{
    /// <summary>Refuses the criteria that name things the server resolves (a queue slug, an email, "me", field values):
    /// only <c>search_tickets</c> applies them, so a listing must not silently drop them.</summary>
    public static void RefuseSearchOnly(TicketQuery query)
    {
        var field = query.QueueSlug is not null ? "queue"
            : query.AssigneeEmail is not null || query.AssignedToMe ? "assignee"
            : query.RequesterEmail is not null || query.RequestedByMe ? "requester"
            : query.Fields is { Count: > 0 } || query.ExcludedFields is { Count: > 0 } ? "fields"
            : null;
        if (field is not null)
        {
            throw CrmErrors.Invalid(field, $"This {field} criterion is resolved by search: list these tickets with crm.Tickets.SearchAsync.");
        }
    }

    /// <summary>Refuses the SLA criteria where only a listing applies them (search).</summary>
    public static void RefuseSla(TicketQuery query)
    {
        if (query.SlaBreached || query.Sort == TicketSort.SlaDue)
        {
            throw CrmErrors.Invalid(query.SlaBreached ? "sla_breached" : "sort", "Search does not filter or sort by SLA state: list these tickets with crm.Tickets.ListAsync.");
        }
    }

    /// <summary>Adds the query's filters to <paramref name="q"/>; <paramref name="prefix"/> names the embedded ticket
    /// (<c>ticket.</c>) when the listing reads another relation (the SLA states, for <see cref="TicketSort.SlaDue"/>).</summary>
    public static RestQuery Apply(RestQuery q, TicketQuery query, string prefix = "")
    {
        if (query.Statuses is { Count: > 0 } statuses)
        {
            q = q.In(prefix + "status", statuses);
        }

        if (query.Priorities is { Count: > 0 } priorities)
        {
            q = q.In(prefix + "priority", priorities);
        }

        if (query.QueueId is { } queue)
        {
            q = q.Eq(prefix + "queue_id", queue);
        }

        if (query.Unassigned)
        {
            q = q.Is(prefix + "assignee_id", null);
        }
        else if (query.AssigneeId is { } assignee)
        {
            q = q.Eq(prefix + "assignee_id", assignee);
        }

        if (query.RequesterId is { } requester)
        {
            q = q.Eq(prefix + "requester_id", requester);
        }

        if (query.TagsAny is { Count: > 0 } any)
        {
            q = q.Overlaps(prefix + "tags", any);
        }

        if (query.TagsNone is { Count: > 0 } none)
        {
            q = q.Not(RestFilter.Overlaps(prefix + "tags", none));
        }

        if (query.Unqueued)
        {
            q = q.Is(prefix + "queue_id", null);
        }

        if (query.TagsAll is { Count: > 0 } all)
        {
            q = q.Contains(prefix + "tags", all);
        }

        if (query.SlaBreached && prefix.Length == 0)
        {
            q = q.Not(RestFilter.Is(SlaStates + ".breached_at", null));
        }

        var contains = query.MetadataContains is { } metadata ? JsonNode.Parse(metadata.Utf8Json.Span)!.AsObject() : null;
        if (query.FieldValues is { Count: > 0 } fields)
        {
            contains ??= [];
            foreach (var (key, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                contains[key] = FieldValue(key, value);
            }
        }

        if (contains is not null)
        {
            q = q.Contains(prefix + "metadata", (JsonNode)contains);
        }

        if (query.AgentFieldValues is { Count: > 0 } agentFields)
        {
            var agentContains = new JsonObject();
            foreach (var (key, value) in agentFields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                agentContains[key] = FieldValue(key, value);
            }

            q = q.Contains(prefix + AgentFieldsRelation + ".metadata", (JsonNode)agentContains);
        }

        if (query.CreatedFrom is { } createdFrom)
        {
            q = q.Gte(prefix + "created_at", createdFrom);
        }

        if (query.CreatedTo is { } createdTo)
        {
            q = q.Lt(prefix + "created_at", createdTo);
        }

        if (query.UpdatedFrom is { } updatedFrom)
        {
            q = q.Gte(prefix + "updated_at", updatedFrom);
        }

        if (query.UpdatedTo is { } updatedTo)
        {
            q = q.Lt(prefix + "updated_at", updatedTo);
        }

        if (!string.IsNullOrEmpty(query.SubjectContains))
        {
            q = q.ILike(prefix + "subject", "*" + EscapeLike(query.SubjectContains) + "*");
        }

        return q;
    }

    /// <summary>The embed that joins a ticket's agent-only values (rows without one are left out): the select list of a
    /// listing filtered by <see cref="TicketQuery.AgentFieldValues"/> adds it.</summary>
    public const string AgentFieldsRelation = "ticket_agent_fields";

    /// <summary>The table of SLA states, joined (without showing it) to filter by <see cref="TicketQuery.SlaBreached"/>.</summary>
    public const string SlaStates = "ticket_sla_states";

    /// <summary>The select list of a ticket with its SLA state (<see cref="Ticket.Sla"/>, staff only): the computed field
    /// <c>ticket_sla</c>, one primary-key read per returned ticket.</summary>
    public const string TicketWithSla = "*,sla:ticket_sla";

    /// <summary>The select list for a listing of <paramref name="query"/> (<paramref name="slaFilter"/>: the states are
    /// joined to filter the tickets, for <see cref="TicketQuery.SlaBreached"/>).</summary>
    public static string Columns(TicketQuery query, bool slaFilter = true) =>
        TicketWithSla
        + (slaFilter && query.SlaBreached ? "," + SlaStates + "!inner()" : "")
        + (query.AgentFieldValues is { Count: > 0 } ? "," + AgentFieldsRelation + "!inner()" : "");

    private static JsonNode FieldValue(string key, TicketFieldValue? value)
    {
        ArgumentNullException.ThrowIfNull(value, nameof(value));
        if (string.IsNullOrWhiteSpace(key))
        {
            throw CrmErrors.Invalid("key", "A field key is required.");
        }

        return value.IsNone
            ? throw CrmErrors.Invalid(key, $"field \"{key}\": filtering by no value is not supported; give a value.")
            : JsonNode.Parse(value.Json.GetRawText())!;
    }

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal);
}
