using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Search;

/// <summary>Turns a <see cref="TicketQuery"/> into the <c>filters</c> argument of <c>public.search_tickets</c> (a JSON
/// object; docs/search.md#filters). The server resolves names (queue slugs, emails, <c>me</c>) as the caller may see them.</summary>
internal static class TicketSearchFilters
{
    /// <summary>The JSON object, or <see langword="null"/> when the query has no filter.</summary>
    public static string? ToJson(TicketQuery query)
    {
        using var buffer = new MemoryStream();
        var any = false;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            any |= Strings(w, "status", query.Statuses?.Select(s => EnumText.Get(s)));
            any |= Strings(w, "priority", query.Priorities?.Select(p => EnumText.Get(p)));
            any |= Strings(w, "tag", query.TagsAll);
            any |= Strings(w, "any_tag", query.TagsAny);
            any |= Strings(w, "not_tag", query.TagsNone);
            any |= Strings(w, "queue", query.Unqueued ? ["none"] : query.QueueId is { } queue ? [queue.ToString("D")] : query.QueueSlug is { } slug ? [slug] : null);
            any |= Strings(w, "assignee", query.Unassigned ? ["none"] : query.AssignedToMe ? ["me"]
                : query.AssigneeId is { } assignee ? [assignee.ToString("D")] : query.AssigneeEmail is { } assigneeEmail ? [assigneeEmail] : null);
            any |= Strings(w, "requester", query.RequestedByMe ? ["me"]
                : query.RequesterId is { } requester ? [requester.ToString("D")] : query.RequesterEmail is { } requesterEmail ? [requesterEmail] : null);
            any |= Time(w, "created_from", query.CreatedFrom);
            any |= Time(w, "created_before", query.CreatedTo);
            any |= Time(w, "updated_from", query.UpdatedFrom);
            any |= Time(w, "updated_before", query.UpdatedTo);
            any |= Fields(w, "fields", query.Fields);
            any |= Fields(w, "not_fields", query.ExcludedFields);
            if (!string.IsNullOrEmpty(query.SubjectContains))
            {
                w.WriteString("subject", query.SubjectContains);
                any = true;
            }

            if (query.MetadataContains is { } metadata)
            {
                w.WritePropertyName("metadata");
                w.WriteRawValue(metadata.Utf8Json.Span, skipInputValidation: true);
                any = true;
            }

            w.WriteEndObject();
        }

        return any ? System.Text.Encoding.UTF8.GetString(buffer.ToArray()) : null;
    }

    private static bool Strings(Utf8JsonWriter w, string name, IEnumerable<string>? values)
    {
        var list = values?.ToList();
        if (list is not { Count: > 0 })
        {
            return false;
        }

        w.WriteStartArray(name);
        foreach (var value in list)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
        return true;
    }

    private static bool Time(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is not { } at)
        {
            return false;
        }

        w.WriteString(name, RestText.FormatTimestamp(at));
        return true;
    }

    private static bool Fields(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, IReadOnlyList<string>>? fields)
    {
        if (fields is not { Count: > 0 })
        {
            return false;
        }

        w.WriteStartObject(name);
        foreach (var (key, values) in fields)
        {
            w.WriteStartArray(key);
            foreach (var value in values)
            {
                w.WriteStringValue(value);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        return true;
    }
}
