namespace AutoCrm.Sdk.Agents;

/// <summary>The skills a ticket needs (<c>tickets.required_skills</c>): only agents with all of them receive or claim it.</summary>
public sealed record TicketSkills
{
    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary>The skills, sorted, without duplicates; empty when any agent may take the ticket.</summary>
    public IReadOnlyList<string> RequiredSkills { get; init; } = [];
}
