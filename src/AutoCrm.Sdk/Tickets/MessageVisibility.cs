using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Tickets;

/// <summary>Who may read a ticket message or history entry (the database enum <c>message_visibility</c>).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<MessageVisibility>))]
public enum MessageVisibility
{
    /// <summary>A reply the customer sees (<c>public</c>).</summary>
    Public,

    /// <summary>An internal note only agents and admins see (<c>internal</c>).</summary>
    Internal,
}
