
namespace AutoCrm.Sdk.Tickets;

/// <summary>Which tickets to list and in what order. Every criterion left <see langword="null"/> is ignored; the rest are ANDed.</summary>
/// <example>
/// <code>
/// var query = new TicketQuery { Statuses = [TicketStatus.New, TicketStatus.Open], Unassigned = true, Sort = TicketSort.Priority, Descending = true };
/// await foreach (var ticket in crm.Tickets.ListAsync(query)) { ... }
/// </code>
/// </example>
public sealed record TicketQuery
{
    /// <summary>Any of these statuses.</summary>
    public IReadOnlyList<TicketStatus>? Statuses { get; init; }

    /// <summary>Any of these priorities.</summary>
    public IReadOnlyList<TicketPriority>? Priorities { get; init; }

    /// <summary>In this queue.</summary>
    public Guid? QueueId { get; init; }

    /// <summary>Assigned to this agent.</summary>
    public Guid? AssigneeId { get; init; }

    /// <summary>Only tickets nobody is assigned to.</summary>
    public bool Unassigned { get; init; }

    /// <summary>Asked by this customer.</summary>
    public Guid? RequesterId { get; init; }

    /// <summary>Having at least one of these tags.</summary>
    public IReadOnlyList<string>? TagsAny { get; init; }

    /// <summary>Having all of these tags.</summary>
    public IReadOnlyList<string>? TagsAll { get; init; }

    /// <summary>Whose metadata contains this object (JSONB <c>@&gt;</c>).</summary>
    public CrmMetadata? MetadataContains { get; init; }

    /// <summary>Created at or after this time.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Created before this time.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Updated at or after this time.</summary>
    public DateTimeOffset? UpdatedFrom { get; init; }

    /// <summary>Updated before this time.</summary>
    public DateTimeOffset? UpdatedTo { get; init; }

    /// <summary>Whose subject contains this text (case-insensitive).</summary>
    public string? SubjectContains { get; init; }

    /// <summary>The sort key. Default <see cref="TicketSort.Created"/>.</summary>
    public TicketSort Sort { get; init; } = TicketSort.Created;

    /// <summary>Newest (or most urgent) first. Default <see langword="false"/>.</summary>
    public bool Descending { get; init; }

    /// <summary>Whether (and how) to count the matching tickets, for <see cref="CrmPage{T}.TotalCount"/>: counted once, with
    /// the first page. Default <see langword="null"/>: not counted, because an exact count reads every matching row
    /// (slow over a million tickets); <see cref="AutoCrm.Sdk.Rest.RestCount.Estimated"/> is exact for small results and the
    /// planner's estimate for large ones.</summary>
    public AutoCrm.Sdk.Rest.RestCount? Count { get; init; }

    /// <summary>The largest <see cref="PageSize"/>.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>How many tickets each request fetches (1 to <see cref="MaxPageSize"/>). Default 100. Out of range,
    /// <see cref="TicketsClient.ListAsync"/> throws <see cref="CrmValidationException"/> (field <c>page_size</c>) at once.</summary>
    public int PageSize { get; init; } = 100;
}
