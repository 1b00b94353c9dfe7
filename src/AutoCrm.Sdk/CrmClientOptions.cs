using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Realtime;
using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk;

/// <summary>
/// Settings for a <see cref="CrmClient"/>. The client copies them when it is built; changing the options
/// afterwards has no effect on an existing client.
/// </summary>
/// <example>
/// <code>
/// using var crm = new CrmClient(new CrmClientOptions
/// {
///     Url = new Uri("http://127.0.0.1:54321"),
///     ApiKey = anonKey,
/// });
/// </code>
/// </example>
public sealed class CrmClientOptions
{
    /// <summary>The project URL, e.g. <c>https://xyz.supabase.co</c> or <c>http://127.0.0.1:54321</c>. Required.</summary>
    public Uri? Url { get; set; }

    /// <summary>The project key: the anon (or <c>sb_publishable_…</c>) key for apps, the service_role
    /// (or <c>sb_secret_…</c>) key for back-office work and admin calls. Required.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The database schema the REST calls use (<c>Accept-Profile</c>/<c>Content-Profile</c>). Default <c>public</c>.</summary>
    public string Schema { get; set; } = "public";

    /// <summary>The longest a public call may take, retries included. Default 100 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The longest a single HTTP attempt may take. Default 30 seconds.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a request that is safe to repeat is retried after a transient failure. Default 3; 0 disables retries.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry delay; later ones grow exponentially, with jitter. Default 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest retry delay, also the cap for a server's <c>Retry-After</c>. Default 30 seconds.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the signed-in session is refreshed automatically ahead of its expiry. Default <see langword="true"/>.</summary>
    public bool AutoRefreshToken { get; set; } = true;

    /// <summary>How long before the access token expires the client refreshes it. Default 90 seconds (as supabase-js).</summary>
    public TimeSpan RefreshAhead { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Where the signed-in session is kept. Default: in memory only (<see cref="InMemorySessionStore"/>);
    /// use <see cref="FileSessionStore"/> for command-line tools.</summary>
    public ISessionStore? SessionStore { get; set; }

    /// <summary>Settings of <see cref="CrmClient.Realtime"/>: protocol version, heartbeat, push timeout, catch-up. Default
    /// <c>new RealtimeOptions()</c>. With <c>AddAutoCrm(configuration)</c> they bind from the <c>Realtime</c> sub-section
    /// (e.g. <c>AutoCrm:Realtime:HeartbeatInterval = 00:00:15</c>).</summary>
    public RealtimeOptions Realtime { get; set; } = new();

    /// <summary>The clock for token refresh, retry delays and timeouts. Default <see cref="System.TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Where the client logs. Default: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The handler under the client's <see cref="HttpClient"/> (a seam for tests, proxies and fault injection).
    /// The client does not dispose it. Default: a new <see cref="SocketsHttpHandler"/> owned by the client.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }
}
