using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Profiles;

/// <summary>A user's application role (the database enum <c>app_role</c>).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<UserRole>))]
public enum UserRole
{
    /// <summary>Asks for help; sees only their own tickets (<c>customer</c>).</summary>
    Customer,

    /// <summary>Works the tickets of their queues (<c>agent</c>).</summary>
    Agent,

    /// <summary>Sees everything; manages queues, members and roles (<c>admin</c>).</summary>
    Admin,
}
