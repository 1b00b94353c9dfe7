
namespace AutoCrm.Sdk.Profiles;

/// <summary>A user's application profile (a row of <c>public.profiles</c>; the id is the auth user id).</summary>
public sealed record Profile
{
    /// <summary>The user id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The e-mail address (follows the auth user).</summary>
    public string? Email { get; init; }

    /// <summary>The display name.</summary>
    public string DisplayName { get; init; } = "";

    /// <summary>The application role.</summary>
    public UserRole Role { get; init; }

    /// <summary>Open-shaped data (JSONB object).</summary>
    public CrmMetadata Metadata { get; init; } = CrmMetadata.Empty;

    /// <summary>When the profile was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
