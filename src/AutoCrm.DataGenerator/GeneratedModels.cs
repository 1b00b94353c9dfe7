namespace AutoCrm.DataGenerator;

/// <summary>The application role of a generated user.</summary>
public enum GeneratedRole
{
    /// <summary>Files tickets.</summary>
    Customer,

    /// <summary>Works queues.</summary>
    Agent,

    /// <summary>Sees and manages everything.</summary>
    Admin,
}

/// <summary>A generated user (an <c>auth.users</c> row with its identity and profile). Every one signs in with <see cref="CrmDataOptions.Password"/>.</summary>
/// <param name="Id">The user id.</param>
/// <param name="Email">The sign-in email.</param>
/// <param name="DisplayName">The profile's display name.</param>
/// <param name="FirstName">The first name (used in messages).</param>
/// <param name="Role">The application role.</param>
/// <param name="Company">The customer's company (staff: the support team's).</param>
/// <param name="Plan">The company's plan (<c>free</c>, <c>pro</c>, <c>business</c>, <c>enterprise</c>), copied into ticket metadata.</param>
/// <param name="Region">The company's region, copied into ticket metadata.</param>
/// <param name="CreatedAt">When the account was created.</param>
public sealed record GeneratedUser(Guid Id, string Email, string DisplayName, string FirstName, GeneratedRole Role, string Company, string Plan, string Region, DateTimeOffset CreatedAt);

/// <summary>A generated queue.</summary>
/// <param name="Id">The queue id.</param>
/// <param name="Slug">The queue slug.</param>
/// <param name="Name">The display name.</param>
/// <param name="Share">The expected share of all tickets that land in it.</param>
/// <param name="AgentIds">Its members (each queue has at least two agents).</param>
public sealed record GeneratedQueue(Guid Id, string Slug, string Name, double Share, IReadOnlyList<Guid> AgentIds);

/// <summary>A generated ticket with its conversation and history, exactly as loaded.</summary>
public sealed record GeneratedTicket
{
    /// <summary>Its position, 0 to <see cref="CrmDataOptions.Tickets"/> − 1 (oldest first).</summary>
    public required int Index { get; init; }

    /// <summary>The ticket id (UUID v7 of its creation time, as the SDK makes them).</summary>
    public required Guid Id { get; init; }

    /// <summary>The ticket number (<see cref="Index"/> + 1 + the numbers already used in the database).</summary>
    public required long Number { get; init; }

    /// <summary>The subject.</summary>
    public required string Subject { get; init; }

    /// <summary>The status, as the database spells it (<c>new</c>, <c>open</c>, <c>pending</c>, <c>on_hold</c>, <c>solved</c>, <c>closed</c>).</summary>
    public required string Status { get; init; }

    /// <summary>The priority (<c>low</c>, <c>normal</c>, <c>high</c>, <c>urgent</c>).</summary>
    public required string Priority { get; init; }

    /// <summary>The customer who filed it.</summary>
    public required Guid RequesterId { get; init; }

    /// <summary>The agent working it, if any (always a member of its queue).</summary>
    public Guid? AssigneeId { get; init; }

    /// <summary>Its queue; null for the ~2% of unqueued tickets.</summary>
    public Guid? QueueId { get; init; }

    /// <summary>Its tags.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Its metadata, a JSON object (<c>channel</c>, <c>plan</c>, <c>region</c>, and per channel <c>browser</c> or <c>order</c>).</summary>
    public required string MetadataJson { get; init; }

    /// <summary>Its version (1 + the updates it went through).</summary>
    public required int Version { get; init; }

    /// <summary>Created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The first public staff reply.</summary>
    public DateTimeOffset? FirstResponseAt { get; init; }

    /// <summary>Solved (solved and closed tickets).</summary>
    public DateTimeOffset? SolvedAt { get; init; }

    /// <summary>Closed.</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>The conversation, oldest first (the first is the requester's description).</summary>
    public required IReadOnlyList<GeneratedMessage> Messages { get; init; }

    /// <summary>The history, oldest first (the first is <c>created</c>).</summary>
    public required IReadOnlyList<GeneratedEvent> Events { get; init; }
}

/// <summary>A message of a generated ticket.</summary>
/// <param name="Id">The message id.</param>
/// <param name="AuthorId">Who wrote it.</param>
/// <param name="Internal">An internal note (staff only).</param>
/// <param name="Body">The text.</param>
/// <param name="CreatedAt">When.</param>
public sealed record GeneratedMessage(Guid Id, Guid AuthorId, bool Internal, string Body, DateTimeOffset CreatedAt);

/// <summary>A history event of a generated ticket.</summary>
/// <param name="Id">The event id.</param>
/// <param name="ActorId">Who caused it.</param>
/// <param name="Kind">The kind (<c>created</c>, <c>status_changed</c>, <c>assignee_changed</c>, …).</param>
/// <param name="ChangesJson">The <c>{field: [old, new]}</c> object.</param>
/// <param name="CreatedAt">When.</param>
public sealed record GeneratedEvent(long Id, Guid? ActorId, string Kind, string ChangesJson, DateTimeOffset CreatedAt);
