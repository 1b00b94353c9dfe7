
namespace AutoCrm.Sdk.Auth;

/// <summary>An Auth user (GoTrue's user object).</summary>
public sealed record User
{
    /// <summary>The user id (also the profile id).</summary>
    public required Guid Id { get; init; }

    /// <summary>The audience, normally <c>authenticated</c>.</summary>
    public string? Aud { get; init; }

    /// <summary>The database role tokens carry, normally <c>authenticated</c> (not the application role).</summary>
    public string? Role { get; init; }

    /// <summary>The e-mail address.</summary>
    public string? Email { get; init; }

    /// <summary>The phone number, if any.</summary>
    public string? Phone { get; init; }

    /// <summary>When the e-mail address was confirmed.</summary>
    public DateTimeOffset? EmailConfirmedAt { get; init; }

    /// <summary>When the user was confirmed.</summary>
    public DateTimeOffset? ConfirmedAt { get; init; }

    /// <summary>The last sign-in.</summary>
    public DateTimeOffset? LastSignInAt { get; init; }

    /// <summary>Server-controlled metadata (provider, …); only admins change it.</summary>
    public CrmMetadata AppMetadata { get; init; } = CrmMetadata.Empty;

    /// <summary>User-controlled metadata (<c>data</c> on sign-up and update).</summary>
    public CrmMetadata UserMetadata { get; init; } = CrmMetadata.Empty;

    /// <summary>When the user was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the user last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether this is an anonymous user.</summary>
    public bool IsAnonymous { get; init; }

    /// <summary>Until when the user is banned, if banned.</summary>
    public DateTimeOffset? BannedUntil { get; init; }
}
