namespace AutoCrm.Sdk.Auth;

/// <summary>Which sessions a sign-out ends.</summary>
public enum SignOutScope
{
    /// <summary>All of the user's sessions, on every device (the default, as supabase-js).</summary>
    Global,

    /// <summary>Only this session.</summary>
    Local,

    /// <summary>All of the user's other sessions; this one stays signed in.</summary>
    Others,
}
