using System.Text.Json.Serialization;

namespace AutoCrm.Sdk.Tickets;

/// <summary>One message of a ticket's conversation (a row of <c>public.ticket_messages</c>).</summary>
[JsonConverter(typeof(TicketMessageConverter))]
public sealed record TicketMessage
{
    /// <summary>The message id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The ticket it belongs to.</summary>
    public Guid TicketId { get; init; }

    /// <summary>Who wrote it (a profile id); <see langword="null"/> for system messages or deleted users.</summary>
    public Guid? AuthorId { get; init; }

    /// <summary>Public reply or internal note.</summary>
    public MessageVisibility Visibility { get; init; }

    /// <summary>The text.</summary>
    public string Body { get; init; } = "";

    /// <summary>Open-shaped data (JSONB object).</summary>
    public CrmMetadata Metadata { get; init; } = CrmMetadata.Empty;

    /// <summary>When it was written.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
