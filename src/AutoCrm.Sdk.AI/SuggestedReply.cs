namespace AutoCrm.Sdk.AI;

/// <summary>A reply a chat model drafted for an agent to review, edit and send; nothing is sent or written.</summary>
public sealed record SuggestedReply
{
    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary>The draft, addressed to the requester.</summary>
    public required string Body { get; init; }

    /// <summary>The model that answered (see <see cref="TicketSummary.Model"/>).</summary>
    public string? Model { get; init; }

    /// <summary>Whether internal notes were part of what the model read (only for staff callers).</summary>
    public bool IncludedInternalNotes { get; init; }
}
