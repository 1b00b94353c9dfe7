namespace AutoCrm.Sdk.Tickets;

/// <summary>What to read along with a ticket.</summary>
[Flags]
public enum TicketInclude
{
    /// <summary>Only the ticket row.</summary>
    None = 0,

    /// <summary>The messages, as <see cref="Ticket.ConversationHistory"/> (internal notes only for agents and admins).</summary>
    Conversation = 1,

    /// <summary>The history, as <see cref="Ticket.Events"/>.</summary>
    Events = 2,
}
