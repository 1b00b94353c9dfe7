
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

    /// <summary>Whose metadata contains this object (JSONB <c>@&gt;</c>, indexed). Typed: <c>CrmMetadata.From(new PlanFilter("pro"),
    /// MyJsonContext.Default.PlanFilter)</c>.</summary>
    public CrmMetadata? MetadataContains { get; init; }

    /// <summary>Whose customer-visible custom fields have these values (a multiselect value matches tickets having at least
    /// those options), by field key. Combined with <see cref="MetadataContains"/>; indexed.</summary>
    /// <example><code>new TicketQuery { FieldValues = new Dictionary&lt;string, TicketFieldValue&gt; { ["plan"] = TicketFieldValue.Option("pro") } }</code></example>
    public IReadOnlyDictionary<string, AutoCrm.Sdk.Fields.TicketFieldValue>? FieldValues { get; init; }

    /// <summary>Whose agent-only custom fields have these values, by field key (staff; a customer's listing matches nothing,
    /// since customers never read agent-only values). Indexed like <see cref="FieldValues"/>.</summary>
    public IReadOnlyDictionary<string, AutoCrm.Sdk.Fields.TicketFieldValue>? AgentFieldValues { get; init; }

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

    /// <summary>Having none of these tags.</summary>
    public IReadOnlyList<string>? TagsNone { get; init; }

    /// <summary>Only tickets in no queue.</summary>
    public bool Unqueued { get; init; }

    /// <summary>In the queue with this slug (<c>general</c>). Names that match no queue match no ticket. Search only (<see cref="TicketsClient.SearchAsync(AutoCrm.Sdk.Search.TicketSearchQuery, CancellationToken)"/>): the server resolves it, so <see cref="TicketsClient.ListAsync"/> refuses it.</summary>
    public string? QueueSlug { get; init; }

    /// <summary>Assigned to the signed-in user. Search only (<see cref="TicketsClient.SearchAsync(AutoCrm.Sdk.Search.TicketSearchQuery, CancellationToken)"/>): the server resolves it, so <see cref="TicketsClient.ListAsync"/> refuses it.</summary>
    public bool AssignedToMe { get; init; }

    /// <summary>Assigned to the agent with this email (as the caller may see profiles). Search only (<see cref="TicketsClient.SearchAsync(AutoCrm.Sdk.Search.TicketSearchQuery, CancellationToken)"/>): the server resolves it, so <see cref="TicketsClient.ListAsync"/> refuses it.</summary>
    public string? AssigneeEmail { get; init; }

    /// <summary>Asked by the signed-in user. Search only (<see cref="TicketsClient.SearchAsync(AutoCrm.Sdk.Search.TicketSearchQuery, CancellationToken)"/>): the server resolves it, so <see cref="TicketsClient.ListAsync"/> refuses it.</summary>
    public bool RequestedByMe { get; init; }

    /// <summary>Asked by the customer with this email (as the caller may see profiles: a customer sees only herself). Search only (<see cref="TicketsClient.SearchAsync(AutoCrm.Sdk.Search.TicketSearchQuery, CancellationToken)"/>): the server resolves it, so <see cref="TicketsClient.ListAsync"/> refuses it.</summary>
    public string? RequesterEmail { get; init; }

    /// <summary>Custom field (or metadata) values: for each key, the value is one of the given ones (or, for a list value
    /// such as a multiselect, holds one of them). Keys are ANDed. Search only (<see cref="TicketsClient.SearchAsync(AutoCrm.Sdk.Search.TicketSearchQuery, CancellationToken)"/>): the server resolves it, so <see cref="TicketsClient.ListAsync"/> refuses it.</summary>
    /// <example><code>new TicketQuery { Fields = new Dictionary&lt;string, IReadOnlyList&lt;string&gt;&gt; { ["plan"] = ["pro", "business"] } }</code></example>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Fields { get; init; }

    /// <summary>Custom field (or metadata) values to exclude: for each key, the value is none of the given ones. Search only (<see cref="TicketsClient.SearchAsync(AutoCrm.Sdk.Search.TicketSearchQuery, CancellationToken)"/>): the server resolves it, so <see cref="TicketsClient.ListAsync"/> refuses it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? ExcludedFields { get; init; }

    /// <summary>Only tickets with a missed SLA target that is not met yet (<see cref="TicketSlaState.IsBreached"/>; staff:
    /// a customer's listing matches nothing). Not available to search.</summary>
    public bool SlaBreached { get; init; }

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
