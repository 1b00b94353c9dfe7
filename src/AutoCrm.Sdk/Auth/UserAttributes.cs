
namespace AutoCrm.Sdk.Auth;

/// <summary>Changes the signed-in user makes to their own account. Properties left <see langword="null"/> are not sent.</summary>
public sealed record UserAttributes
{
    /// <summary>A new e-mail address.</summary>
    public string? Email { get; init; }

    /// <summary>A new password.</summary>
    public string? Password { get; init; }

    /// <summary>The current password, when the project requires it to change the password.</summary>
    public string? CurrentPassword { get; init; }

    /// <summary>A new phone number.</summary>
    public string? Phone { get; init; }

    /// <summary>Keys to merge into <see cref="User.UserMetadata"/> (sent as <c>data</c>).</summary>
    public CrmMetadata? Data { get; init; }

    /// <summary>Redacts the passwords.</summary>
    /// <returns>A description without secrets.</returns>
    public override string ToString() => $"UserAttributes {{ Email = {Email}, Phone = {Phone}, Password = {(Password is null ? "unchanged" : "***")} }}";
}
