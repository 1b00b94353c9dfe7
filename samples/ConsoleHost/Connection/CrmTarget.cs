using System.Text;
using System.Text.Json;
using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;

namespace AutoCrm.ConsoleHost.Connection;

/// <summary>A connected project: the client (with the saved session, if any), where it came from, and the embedded
/// DevStack when one was started for this command.</summary>
internal sealed class CrmTarget : IAsyncDisposable
{
    internal CrmTarget(Uri url, string apiKey, string source, string sessionPath, DevStackServer? embedded, string? serviceRoleKey, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        Url = url;
        ApiKey = apiKey;
        Source = source;
        Embedded = embedded;
        ServiceRoleKey = serviceRoleKey ?? (KeyRole(apiKey) == "service_role" ? apiKey : null);
        SessionStore = new FileSessionStore(sessionPath);
        // The service_role key acts as the back office: a saved user session would silently narrow it to that user.
        ISessionStore store = IsServiceKey ? new InMemorySessionStore() : SessionStore;
        Client = new CrmClient(new CrmClientOptions { Url = url, ApiKey = apiKey, SessionStore = store, LoggerFactory = loggerFactory });
    }

    /// <summary>The project URL.</summary>
    public Uri Url { get; }

    /// <summary>The API key in use.</summary>
    public string ApiKey { get; }

    /// <summary>"--url", "AUTOCRM_URL", "profile", "devstack" or "embedded".</summary>
    public string Source { get; }

    /// <summary>The DevStack started for this command, if any.</summary>
    public DevStackServer? Embedded { get; }

    /// <summary>The service_role key when known (the key given, or the embedded/running DevStack's).</summary>
    public string? ServiceRoleKey { get; }

    /// <summary>Whether the key itself is the service_role key (no user session needed; row-level security bypassed).</summary>
    public bool IsServiceKey => KeyRole(ApiKey) == "service_role";

    /// <summary>The session file (owner-only).</summary>
    public FileSessionStore SessionStore { get; }

    /// <summary>The client, signed in when a session was saved.</summary>
    public CrmClient Client { get; }

    /// <summary>The role claim of a JWT-shaped key (anon, service_role), or null for opaque keys.</summary>
    internal static string? KeyRole(string key)
    {
        if (key.StartsWith("sb_secret_", StringComparison.Ordinal))
        {
            return "service_role";
        }

        var parts = key.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return doc.RootElement.TryGetProperty("role", out var role) ? role.GetString() : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (Embedded is not null)
        {
            await Embedded.DisposeAsync().ConfigureAwait(false);
        }
    }
}
