namespace AutoCrm.Sdk.AI;

/// <summary>A chat model's summary of a ticket's conversation, for the caller to read; nothing is written.</summary>
public sealed record TicketSummary
{
    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary>The summary: a few sentences.</summary>
    public required string Summary { get; init; }

    /// <summary>What is still open or was asked for, one short line each (may be empty).</summary>
    public IReadOnlyList<string> OpenQuestions { get; init; } = [];

    /// <summary>The model that answered (its own id when it gave one, otherwise the one asked for; <see langword="null"/> when neither is known).</summary>
    public string? Model { get; init; }

    /// <summary>Whether internal notes were part of what the model read (only for staff callers).</summary>
    public bool IncludedInternalNotes { get; init; }
}
