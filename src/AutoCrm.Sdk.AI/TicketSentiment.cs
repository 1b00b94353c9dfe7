namespace AutoCrm.Sdk.AI;

/// <summary>How the requester sounds, as a chat model reads the conversation.</summary>
public enum TicketSentiment
{
    /// <summary>Upset, angry or disappointed.</summary>
    Negative,

    /// <summary>Matter-of-fact.</summary>
    Neutral,

    /// <summary>Pleased or thankful.</summary>
    Positive,
}
