using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Tickets;

/// <summary>Where a ticket is in its life (the database enum <c>ticket_status</c>).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<TicketStatus>))]
public enum TicketStatus
{
    /// <summary>Just created, nobody has looked at it (<c>new</c>).</summary>
    New,

    /// <summary>Being worked on (<c>open</c>).</summary>
    Open,

    /// <summary>Waiting for the customer (<c>pending</c>).</summary>
    Pending,

    /// <summary>Waiting on something else (<c>on_hold</c>).</summary>
    OnHold,

    /// <summary>Answered; the customer may reopen it (<c>solved</c>).</summary>
    Solved,

    /// <summary>Done for good (<c>closed</c>).</summary>
    Closed,
}
