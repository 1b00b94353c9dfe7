using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Tickets;

/// <summary>How urgent a ticket is (the database enum <c>ticket_priority</c>, ordered low to urgent).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<TicketPriority>))]
public enum TicketPriority
{
    /// <summary><c>low</c>.</summary>
    Low,

    /// <summary><c>normal</c> (the default).</summary>
    Normal,

    /// <summary><c>high</c>.</summary>
    High,

    /// <summary><c>urgent</c>; claimed first.</summary>
    Urgent,
}
