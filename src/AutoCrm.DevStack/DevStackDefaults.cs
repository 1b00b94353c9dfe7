namespace AutoCrm.DevStack;

/// <summary>
/// The Supabase CLI's local defaults (the same secret and demo keys as <c>supabase start</c>). The secret is public:
/// a DevStack uses it only when asked (<c>--demo-keys</c>, <see cref="DevStackOptions.JwtSecret"/>), for tests that
/// need fixed keys; otherwise each data directory has a random secret of its own.
/// </summary>
public static class DevStackDefaults
{
    /// <summary>The Supabase CLI's public demo JWT secret.</summary>
    public const string JwtSecret = "super-secret-jwt-token-with-at-least-32-characters-long";

    /// <summary>The demo anon key: <c>{"iss":"supabase-demo","role":"anon","exp":1983812996}</c> signed with <see cref="JwtSecret"/>.</summary>
    public const string AnonKey = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";

    /// <summary>The demo service_role key: <c>{"iss":"supabase-demo","role":"service_role","exp":1983812996}</c> signed with <see cref="JwtSecret"/>.</summary>
    public const string ServiceRoleKey = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

    /// <summary>The opaque publishable key of newer CLIs; it stands for the anon key.</summary>
    public const string PublishableKey = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";

    /// <summary>The opaque secret key of newer CLIs; it stands for the service_role key.</summary>
    public const string SecretKey = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

    /// <summary>The CLI's API port.</summary>
    public const int ApiPort = 54321;

    /// <summary>The expiry of the demo keys (2032-11-11), in seconds since the epoch.</summary>
    public const long DemoKeyExpiry = 1983812996;
}
