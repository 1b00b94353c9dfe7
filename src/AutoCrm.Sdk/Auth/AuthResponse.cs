namespace AutoCrm.Sdk.Auth;

/// <summary>The result of a sign-up: the user, and a session when the user was confirmed at once.</summary>
public sealed record AuthResponse
{
    /// <summary>The user.</summary>
    public required User User { get; init; }

    /// <summary>The session; <see langword="null"/> when the e-mail address must be confirmed first.</summary>
    public Session? Session { get; init; }
}
