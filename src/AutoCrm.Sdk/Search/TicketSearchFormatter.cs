using System.Globalization;
using System.Text;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Search;

/// <summary>Renders a <see cref="TicketSearchQuery"/> in the query language, in a fixed order, so that parsing the text
/// gives the same filters back (<see cref="TicketSearchParser"/>).</summary>
internal static class TicketSearchFormatter
{
    private static readonly TicketStatus[] AllStatuses = Enum.GetValues<TicketStatus>();
    private static readonly TicketPriority[] AllPriorities = Enum.GetValues<TicketPriority>();

    public static string Format(TicketSearchQuery search)
    {
        var q = search.Filter;
        var parts = new List<string>();
        if (q.Statuses is { Count: > 0 } statuses)
        {
            var set = statuses.Distinct().ToList();
            var missing = AllStatuses.Where(s => !set.Contains(s)).ToList();
            parts.Add(missing.Count > 0 && missing.Count < set.Count
                ? "-status:" + string.Join(',', missing.Select(s => EnumText.Get(s)))
                : "status:" + string.Join(',', AllStatuses.Where(set.Contains).Select(s => EnumText.Get(s))));
        }

        if (q.Priorities is { Count: > 0 } priorities)
        {
            parts.Add(Priorities(priorities.Distinct().ToList()));
        }

        if (q.Unqueued)
        {
            parts.Add("queue:none");
        }
        else if (q.QueueId is { } queueId)
        {
            parts.Add("queue:" + queueId.ToString("D"));
        }
        else if (q.QueueSlug is { } slug)
        {
            parts.Add("queue:" + Value(slug));
        }

        if (q.Unassigned)
        {
            parts.Add("assignee:none");
        }
        else if (q.AssignedToMe)
        {
            parts.Add("assignee:me");
        }
        else if (q.AssigneeId is { } assigneeId)
        {
            parts.Add("assignee:" + assigneeId.ToString("D"));
        }
        else if (q.AssigneeEmail is { } assigneeEmail)
        {
            parts.Add("assignee:" + Value(assigneeEmail));
        }

        if (q.RequestedByMe)
        {
            parts.Add("requester:me");
        }
        else if (q.RequesterId is { } requesterId)
        {
            parts.Add("requester:" + requesterId.ToString("D"));
        }
        else if (q.RequesterEmail is { } requesterEmail)
        {
            parts.Add("requester:" + Value(requesterEmail));
        }

        foreach (var tag in q.TagsAll ?? [])
        {
            parts.Add("tag:" + Value(tag));
        }

        if (q.TagsAny is { Count: > 0 } any)
        {
            // A one-tag list reads back as tag:x, which means the same.
            parts.Add("tag:" + string.Join(',', any.Select(Value)));
        }

        if (q.TagsNone is { Count: > 0 } none)
        {
            parts.Add("-tag:" + string.Join(',', none.Select(Value)));
        }

        foreach (var (name, values) in q.Fields ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            parts.Add("field." + name + ":" + string.Join(',', values.Select(Value)));
        }

        foreach (var (name, values) in q.ExcludedFields ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            parts.Add("-field." + name + ":" + string.Join(',', values.Select(Value)));
        }

        if (q.SubjectContains is { } subject)
        {
            parts.Add("subject:" + Quoted(subject));
        }

        if (q.MetadataContains is { } metadata)
        {
            parts.Add("metadata:" + Quoted(metadata.ToString()));
        }

        Range(parts, "created", q.CreatedFrom, q.CreatedTo);
        Range(parts, "updated", q.UpdatedFrom, q.UpdatedTo);
        if (search.Text.Length > 0)
        {
            parts.Add(search.Text);
        }

        return string.Join(' ', parts);
    }

    private static string Priorities(List<TicketPriority> set)
    {
        var ordered = AllPriorities.Where(set.Contains).ToList();
        var contiguous = (int)ordered[^1] - (int)ordered[0] + 1 == ordered.Count;
        if (contiguous && ordered.Count > 1 && ordered.Count < AllPriorities.Length)
        {
            if (ordered[^1] == AllPriorities[^1])
            {
                return "priority>=" + EnumText.Get(ordered[0]);
            }

            if (ordered[0] == AllPriorities[0])
            {
                return "priority<=" + EnumText.Get(ordered[^1]);
            }
        }

        return "priority:" + string.Join(',', ordered.Select(p => EnumText.Get(p)));
    }

    private static void Range(List<string> parts, string key, DateTimeOffset? from, DateTimeOffset? to)
    {
        if (from is { } f && to is { } t && t - f == TimeSpan.FromDays(1) && IsMidnight(f))
        {
            parts.Add(key + ":" + Time(f));
            return;
        }

        if (from is { } start)
        {
            parts.Add(key + ">=" + Time(start));
        }

        if (to is { } end)
        {
            parts.Add(key + "<" + Time(end));
        }
    }

    private static bool IsMidnight(DateTimeOffset value) => value.ToUniversalTime().TimeOfDay == TimeSpan.Zero;

    private static string Time(DateTimeOffset value)
    {
        var utc = value.ToUniversalTime();
        return IsMidnight(utc)
            ? utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : utc.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>A list value: bare when the parser reads it back as one value, else quoted.</summary>
    internal static string Value(string value) =>
        value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is ',' or '"' or '\'' or '\\') ? value : Quoted(value);

    internal static string Quoted(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }
}
