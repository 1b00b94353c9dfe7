using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.AI;

/// <summary>
/// A chat model's triage of a ticket: a priority, tags, the language and the sentiment. A suggestion only: apply it with
/// <see cref="TicketAssistant.ApplyTriageAsync"/> (or let the triage worker do it); reading it writes nothing.
/// </summary>
public sealed record TicketTriage
{
    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary>The suggested priority.</summary>
    public required TicketPriority Priority { get; init; }

    /// <summary>Suggested tags: lower case, 1 to 50 characters, at most 5.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The language the requester writes in, as a language tag (<c>en</c>, <c>pt-BR</c>).</summary>
    public required string Language { get; init; }

    /// <summary>How the requester sounds.</summary>
    public required TicketSentiment Sentiment { get; init; }

    /// <summary>The model that answered (see <see cref="TicketSummary.Model"/>).</summary>
    public string? Model { get; init; }
}
