using System.Text.Json.Serialization.Metadata;

namespace AutoCrm.Sdk.Tickets;

/// <summary>A support ticket (a row of <c>public.tickets</c>).</summary>
public sealed record Ticket
{
    /// <summary>The ticket id (a UUID v7 when the SDK created it).</summary>
    public required Guid Id { get; init; }

    /// <summary>The human-friendly ticket number, unique and increasing.</summary>
    public long Number { get; init; }

    /// <summary>The subject line.</summary>
    public string Subject { get; init; } = "";

    /// <summary>The status.</summary>
    public TicketStatus Status { get; init; }

    /// <summary>The priority.</summary>
    public TicketPriority Priority { get; init; } = TicketPriority.Normal;

    /// <summary>The customer who asked (a profile id).</summary>
    public Guid RequesterId { get; init; }

    /// <summary>The agent working it, if any.</summary>
    public Guid? AssigneeId { get; init; }

    /// <summary>The queue it waits in, if any.</summary>
    public Guid? QueueId { get; init; }

    /// <summary>Free-form tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Open-shaped data (the <c>metadata</c> JSONB object). See <see cref="GetMetadata{T}(JsonTypeInfo{T})"/> for typed access.</summary>
    public CrmMetadata Metadata { get; init; } = CrmMetadata.Empty;

    /// <summary>Incremented by the database on every update; pass it as <c>expectedVersion</c> to detect concurrent edits.</summary>
    public int Version { get; init; }

    /// <summary>When the ticket was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the ticket last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When an agent first answered publicly, if yet.</summary>
    public DateTimeOffset? FirstResponseAt { get; init; }

    /// <summary>When the ticket was solved, if it is solved or closed.</summary>
    public DateTimeOffset? SolvedAt { get; init; }

    /// <summary>When the ticket was closed, if it is closed.</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>The SLA state (next target due, missed targets) for staff, read with every ticket the SDK lists or gets;
    /// <see langword="null"/> for customers, for tickets without a running or missed target, on search hits, and (not read)
    /// on the tickets that create and update calls return.</summary>
    public TicketSlaState? Sla { get; init; }

    /// <summary>The messages, oldest first, when they were requested (<see cref="TicketInclude.Conversation"/>); otherwise <see langword="null"/>.</summary>
    public IReadOnlyList<TicketMessage>? ConversationHistory { get; init; }

    /// <summary>The history, oldest first, when it was requested (<see cref="TicketInclude.Events"/>); otherwise <see langword="null"/>.</summary>
    public IReadOnlyList<TicketEvent>? Events { get; init; }

    /// <summary>Reads <see cref="Metadata"/> as a typed value (AOT-safe through source-generated metadata).</summary>
    /// <typeparam name="T">The metadata type.</typeparam>
    /// <param name="typeInfo">Its source-generated JSON metadata, e.g. <c>MyJsonContext.Default.OrderInfo</c>.</param>
    /// <returns>The value, or <see langword="default"/> (<see langword="null"/>) when the metadata is the empty object.</returns>
    /// <example><code>var order = ticket.GetMetadata(MyJsonContext.Default.OrderInfo);</code></example>
    public T? GetMetadata<T>(JsonTypeInfo<T> typeInfo) => Metadata.As(typeInfo);
}
