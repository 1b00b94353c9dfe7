namespace AutoCrm.DevStack;

/// <summary>How <see cref="DevStackServer.StartAsync"/> starts a DevStack.</summary>
/// <example>
/// <code>
/// await using var stack = await DevStackServer.StartAsync(new DevStackOptions { Port = 0 });
/// var client = new HttpClient { BaseAddress = stack.Url };
/// </code>
/// </example>
public sealed record DevStackOptions
{
    /// <summary>
    /// Directory of a persistent PostgreSQL cluster (created on first use) and of the project's JWT secret; null = a
    /// throwaway cluster deleted on dispose. With <see cref="DatabaseUrl"/> it holds only the secret.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>Connection string or <c>postgresql://</c> URL of an existing PostgreSQL to use instead of a local cluster (used as is: bootstrap and migrations are applied to it).</summary>
    public string? DatabaseUrl { get; init; }

    /// <summary>HTTP port on 127.0.0.1; 0 = any free port (the CLI passes 54321).</summary>
    public int Port { get; init; }

    /// <summary>Run <c>seed.sql</c> when the database was just created.</summary>
    public bool Seed { get; init; } = true;

    /// <summary>Recreate the local cluster in <see cref="DataDirectory"/> (ignored for throwaway clusters and <see cref="DatabaseUrl"/>).</summary>
    public bool Reset { get; init; }

    /// <summary>A directory laid out like the Supabase CLI's <c>supabase/</c> (migrations, seed.sql, config.toml); null = the copy embedded in this assembly.</summary>
    public string? SupabaseDirectory { get; init; }

    /// <summary>
    /// The schemas the REST API exposes, the first being the default (PostgREST's <c>db-schemas</c>); null = the
    /// <c>[api] schemas</c> of config.toml. A <c>pgrst.db_schemas</c> setting of the <c>authenticator</c> role in the
    /// database takes precedence, as in PostgREST.
    /// </summary>
    public IReadOnlyList<string>? Schemas { get; init; }

    /// <summary>
    /// The HS256 JWT secret (at least 32 characters). Null (the default): a random secret kept in the file
    /// <c>jwt-secret</c> of <see cref="DataDirectory"/> (created on first start, readable by its owner only), so the
    /// keys stay the same across starts; with no data directory, a new secret for each start. Pass
    /// <see cref="DevStackDefaults.JwtSecret"/> for the Supabase CLI's public demo keys (tests that need fixed keys).
    /// </summary>
    public string? JwtSecret { get; init; }

    /// <summary>
    /// The web origins that may call the DevStack from a browser: <c>https://app.example.com</c>, an origin with any
    /// port (<c>http://localhost:*</c>), or <c>*</c> for all. A request from another origin is refused with 403.
    /// Null (the default): loopback origins on any port, plus config.toml's <c>site_url</c> and
    /// <c>additional_redirect_urls</c>.
    /// </summary>
    public IReadOnlyList<string>? CorsOrigins { get; init; }

    /// <summary>Where the DevStack logs; null = no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Apply config.toml's <c>[auth.rate_limit]</c> per client address (429 <c>over_request_rate_limit</c>), as the hosted
    /// platform does. On by default; tests that sign in many times from one address turn it off.
    /// </summary>
    public bool EnforceAuthRateLimits { get; init; } = true;

    /// <summary>What one Realtime client (websocket) may use: channels, joins per second, bindings per channel, filter work.</summary>
    public Realtime.RealtimeLimits RealtimeLimits { get; init; } = new();

    /// <summary>
    /// Refuse requests that carry no <c>apikey</c> (401 "No API key found in request"), as the hosted platform does.
    /// On by default; off, such a request runs as anon, as through the Supabase CLI's local gateway.
    /// </summary>
    public bool RequireApiKey { get; init; } = true;

    /// <summary>The clock for token expiry, timestamps and the Auth rate limits.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
