
namespace AutoCrm.Sdk.Tickets;

/// <summary>What to create a ticket with. See <see cref="TicketsClient.CreateAsync(NewTicket, CancellationToken)"/>.</summary>
public sealed record NewTicket
{
    /// <summary>
    /// The ticket's id; <see langword="null"/> (the default) lets the SDK generate a UUID v7. Supply your own (for example a
    /// name-based UUID derived from a key in another system) to make creating the same ticket again a no-op: a create
    /// with an id that already exists returns the existing ticket and changes nothing.
    /// </summary>
    public Guid? Id { get; init; }

    /// <summary>The subject line (1 to 300 characters).</summary>
    public required string Subject { get; init; }

    /// <summary>The priority; the database default (normal) when <see langword="null"/>.</summary>
    public TicketPriority? Priority { get; init; }

    /// <summary>The queue to put it in, if any.</summary>
    public Guid? QueueId { get; init; }

    /// <summary>Tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Open-shaped data (stored as a JSONB object).</summary>
    public CrmMetadata? Metadata { get; init; }

    /// <summary>The customer the ticket is for; defaults to the signed-in user. Needed with the service key.</summary>
    public Guid? RequesterId { get; init; }

    /// <summary>
    /// The first public message (the customer's description), if any; created with the ticket. Its id is derived from the
    /// ticket's, so creating the same ticket again does not add the description twice.
    /// </summary>
    public string? Description { get; init; }

    /// <summary>The starting status; the database default (new) when <see langword="null"/>. Only agents and admins may start a ticket in another status.</summary>
    public TicketStatus? Status { get; init; }

    /// <summary>The agent to assign it to at once (agents and admins only; the agent must be able to work the queue).</summary>
    public Guid? AssigneeId { get; init; }

    /// <summary>
    /// When the ticket was created, for restoring an export; the database ignores it (and uses the current time) unless
    /// the client uses the service key.
    /// </summary>
    public DateTimeOffset? CreatedAt { get; init; }
}
