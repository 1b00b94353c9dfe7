namespace AutoCrm.Sdk.AI;

/// <summary>Settings of a <see cref="TicketAssistant"/>.</summary>
public sealed class TicketAssistantOptions
{
    /// <summary>The model to ask for (<c>ChatOptions.ModelId</c>); <see langword="null"/>: the chat client's default.</summary>
    public string? ModelId { get; set; }

    /// <summary>At most this many of the newest messages are sent to the model (1–500; default 50).</summary>
    public int MaxMessages { get; set; } = 50;

    /// <summary>At most this many characters of conversation are sent, the newest kept (1,000–200,000; default 24,000).</summary>
    public int MaxConversationCharacters { get; set; } = 24_000;

    /// <summary>The tags triage may choose from; empty (the default): any short tag the model proposes.</summary>
    public IReadOnlyList<string> TriageTags { get; set; } = [];

    internal TicketAssistantOptions Validated()
    {
        if (MaxMessages is < 1 or > 500)
        {
            throw Invalid("max_messages", "MaxMessages must be between 1 and 500.");
        }

        if (MaxConversationCharacters is < 1_000 or > 200_000)
        {
            throw Invalid("max_conversation_characters", "MaxConversationCharacters must be between 1,000 and 200,000.");
        }

        return new TicketAssistantOptions
        {
            ModelId = string.IsNullOrWhiteSpace(ModelId) ? null : ModelId.Trim(),
            MaxMessages = MaxMessages,
            MaxConversationCharacters = MaxConversationCharacters,
            TriageTags = [.. (TriageTags ?? []).Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal)],
        };
    }

    private static CrmValidationException Invalid(string field, string message) =>
        new(new CrmErrorInfo { Status = 0, Code = "invalid_options", Field = field, Message = message, IsTransient = false });
}
