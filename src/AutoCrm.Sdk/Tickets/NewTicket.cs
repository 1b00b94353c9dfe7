using System.Text.Json.Nodes;

namespace AutoCrm.Sdk.Tickets;

/// <summary>What to create a ticket with. See <see cref="TicketsClient.CreateAsync(NewTicket, CancellationToken)"/>.</summary>
public sealed record NewTicket
{
    /// <summary>The subject line (1 to 300 characters).</summary>
    public required string Subject { get; init; }

    /// <summary>The priority; the database default (normal) when <see langword="null"/>.</summary>
    public TicketPriority? Priority { get; init; }

    /// <summary>The queue to put it in, if any.</summary>
    public Guid? QueueId { get; init; }

    /// <summary>Tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Open-shaped data (stored as a JSONB object).</summary>
    public JsonObject? Metadata { get; init; }

    /// <summary>The customer the ticket is for; defaults to the signed-in user. Needed with the service key.</summary>
    public Guid? RequesterId { get; init; }

    /// <summary>The first public message (the customer's description), if any; created with the ticket.</summary>
    public string? Description { get; init; }
}
