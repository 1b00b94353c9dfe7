using System.Text.Json.Nodes;

namespace AutoCrm.Sdk.Tickets;

/// <summary>
/// A change to a ticket. Only the properties you set are sent, so setting <see cref="AssigneeId"/> to
/// <see langword="null"/> unassigns, while leaving it out keeps the assignee.
/// </summary>
/// <example>
/// <code>
/// await crm.Tickets.UpdateAsync(id, new TicketPatch { Status = TicketStatus.Pending, AssigneeId = null }, expectedVersion: ticket.Version);
/// </code>
/// </example>
public sealed record TicketPatch
{
    private readonly string? _subject;
    private readonly TicketStatus? _status;
    private readonly TicketPriority? _priority;
    private readonly Guid? _assigneeId;
    private readonly Guid? _queueId;
    private readonly IReadOnlyList<string>? _tags;
    private readonly CrmMetadata? _metadata;
    private readonly Fields _set;

    [Flags]
    private enum Fields
    {
        None = 0,
        Subject = 1,
        Status = 2,
        Priority = 4,
        AssigneeId = 8,
        QueueId = 16,
        Tags = 32,
        Metadata = 64,
    }

    /// <summary>A new subject.</summary>
    public string? Subject { get => _subject; init { _subject = value; _set |= Fields.Subject; } }

    /// <summary>A new status.</summary>
    public TicketStatus? Status { get => _status; init { _status = value; _set |= Fields.Status; } }

    /// <summary>A new priority.</summary>
    public TicketPriority? Priority { get => _priority; init { _priority = value; _set |= Fields.Priority; } }

    /// <summary>A new assignee; <see langword="null"/> unassigns.</summary>
    public Guid? AssigneeId { get => _assigneeId; init { _assigneeId = value; _set |= Fields.AssigneeId; } }

    /// <summary>A new queue; <see langword="null"/> takes the ticket out of its queue.</summary>
    public Guid? QueueId { get => _queueId; init { _queueId = value; _set |= Fields.QueueId; } }

    /// <summary>The new full tag list.</summary>
    public IReadOnlyList<string>? Tags { get => _tags; init { _tags = value; _set |= Fields.Tags; } }

    /// <summary>The new full metadata object (it replaces the old one).</summary>
    public CrmMetadata? Metadata { get => _metadata; init { _metadata = value; _set |= Fields.Metadata; } }

    /// <summary>Whether no property was set.</summary>
    public bool IsEmpty => _set == Fields.None;

    /// <summary>The JSON body: exactly the properties that were set, in database spelling.</summary>
    internal JsonObject ToJson()
    {
        var body = new JsonObject();
        if (_set.HasFlag(Fields.Subject))
        {
            body["subject"] = _subject;
        }

        if (_set.HasFlag(Fields.Status))
        {
            body["status"] = _status is { } s ? Internal.EnumText.Get(s) : null;
        }

        if (_set.HasFlag(Fields.Priority))
        {
            body["priority"] = _priority is { } p ? Internal.EnumText.Get(p) : null;
        }

        if (_set.HasFlag(Fields.AssigneeId))
        {
            body["assignee_id"] = _assigneeId is { } a ? JsonValue.Create(a) : null;
        }

        if (_set.HasFlag(Fields.QueueId))
        {
            body["queue_id"] = _queueId is { } q ? JsonValue.Create(q) : null;
        }

        if (_set.HasFlag(Fields.Tags))
        {
            var tags = new JsonArray();
            foreach (var tag in _tags ?? [])
            {
                tags.Add((JsonNode?)JsonValue.Create(tag));
            }

            body["tags"] = tags;
        }

        if (_set.HasFlag(Fields.Metadata))
        {
            body["metadata"] = _metadata is null ? new JsonObject() : JsonNode.Parse(_metadata.Utf8Json.Span);
        }

        return body;
    }
}
