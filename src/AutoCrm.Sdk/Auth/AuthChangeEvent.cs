namespace AutoCrm.Sdk.Auth;

/// <summary>What changed in the client's authentication state.</summary>
public enum AuthChangeEvent
{
    /// <summary>A session was established (sign-in, sign-up with a session, or <see cref="AuthClient.SetSessionAsync"/>).</summary>
    SignedIn,

    /// <summary>The access token was renewed.</summary>
    TokenRefreshed,

    /// <summary>The user was changed (<see cref="AuthClient.UpdateUserAsync"/>).</summary>
    UserUpdated,

    /// <summary>The session ended: signed out, or the refresh token was rejected (then <see cref="AuthStateChange.Error"/> says why).</summary>
    SignedOut,

    /// <summary>A refresh failed for a reason that may pass (network, 5xx); the session is kept and refresh is retried.</summary>
    RefreshFailed,

    /// <summary>The state when a subscriber subscribed to <see cref="AuthClient.StateChanges"/>: always its first event
    /// (the session, or null when signed out).</summary>
    InitialSession,
}
