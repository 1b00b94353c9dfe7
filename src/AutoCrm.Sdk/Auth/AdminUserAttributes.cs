
namespace AutoCrm.Sdk.Auth;

/// <summary>A user as an administrator creates or changes it (service key only). Properties left <see langword="null"/> are not sent.</summary>
public sealed record AdminUserAttributes
{
    /// <summary>The e-mail address.</summary>
    public string? Email { get; init; }

    /// <summary>The password.</summary>
    public string? Password { get; init; }

    /// <summary>The phone number.</summary>
    public string? Phone { get; init; }

    /// <summary>Mark the e-mail address as confirmed.</summary>
    public bool? EmailConfirm { get; init; }

    /// <summary>User-controlled metadata.</summary>
    public CrmMetadata? UserMetadata { get; init; }

    /// <summary>Server-controlled metadata.</summary>
    public CrmMetadata? AppMetadata { get; init; }

    /// <summary>Ban for this long (Go duration such as <c>24h</c>), or <c>none</c> to lift a ban.</summary>
    public string? BanDuration { get; init; }

    /// <summary>Redacts the password.</summary>
    /// <returns>A description without secrets.</returns>
    public override string ToString() => $"AdminUserAttributes {{ Email = {Email}, Phone = {Phone}, Password = {(Password is null ? "unchanged" : "***")} }}";
}
