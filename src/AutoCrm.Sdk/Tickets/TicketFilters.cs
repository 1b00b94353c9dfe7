using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Tickets;

/// <summary>Turns a <see cref="TicketQuery"/> into PostgREST filters.</summary>
internal static class TicketFilters
{
    public static RestQuery Apply(RestQuery q, TicketQuery query)
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
            q = q.Contains("metadata", System.Text.Json.Nodes.JsonNode.Parse(metadata.Utf8Json.Span)!);
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

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal);
}
