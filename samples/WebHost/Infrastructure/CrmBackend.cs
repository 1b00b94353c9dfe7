using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;

namespace AutoCrm.WebHost.Infrastructure;

/// <summary>
/// Where the CRM lives: the Supabase project named by <c>AutoCrm:Url</c>/<c>AutoCrm:ApiKey</c>, reached through the
/// <see cref="CrmClient"/> that <c>AddAutoCrm</c> registers, or, when no URL is configured, an embedded DevStack with the
/// demo data (started before the host, see <see cref="WebHostSetup.AddAutoCrmWebAsync"/>).
/// </summary>
public sealed class CrmBackend(CrmClient root, TimeSpan refreshAhead, EmbeddedDevStack? embedded = null)
{
    /// <summary>The seeded demo accounts (password <see cref="DemoPassword"/>), shown on the sign-in page of an embedded backend.</summary>
    public static readonly IReadOnlyList<(string Email, string Role)> DemoAccounts =
    [
        ("admin@autocrm.demo", "admin"),
        ("agent.alice@autocrm.demo", "agent (general, billing)"),
        ("agent.bob@autocrm.demo", "agent (general)"),
        ("carol@customer.demo", "customer"),
        ("dave@customer.demo", "customer"),
        ("erin@customer.demo", "customer"),
    ];

    public const string DemoPassword = "autocrm-demo";

    /// <summary>True when this process runs its own DevStack (demo mode).</summary>
    public bool IsEmbedded => embedded is not null;

    /// <summary>The client every per-user client is derived from (<see cref="CrmClient.WithSession(ISessionStore)"/>). It never signs in itself.</summary>
    public CrmClient Root => root;

    /// <summary>How long before expiry the SDK refreshes a session on use (<c>AutoCrm:RefreshAhead</c>).</summary>
    public TimeSpan RefreshAhead => refreshAhead;

    /// <summary>A short-lived client for signing in or up: its own session store, so the shared root never holds a user.</summary>
    public CrmClient CreateSignInClient() => root.WithSession(new InMemorySessionStore());
}

/// <summary>The demo-mode DevStack, owned by the container (disposed when the host stops).</summary>
public sealed class EmbeddedDevStack(DevStackServer server, ILoggerFactory loggers) : IAsyncDisposable
{
    public DevStackServer Server { get; } = server;

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        loggers.Dispose();
    }
}
