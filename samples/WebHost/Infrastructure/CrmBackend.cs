using AutoCrm.DevStack;
using AutoCrm.Sdk;

namespace AutoCrm.WebHost.Infrastructure;

/// <summary>
/// Where the CRM lives: the Supabase project named by <c>AutoCrm:Url</c>/<c>AutoCrm:ApiKey</c>, or, when no URL is
/// configured, an embedded DevStack with the demo data. Starts with the host, before Kestrel takes requests.
/// </summary>
public sealed class CrmBackend(IConfiguration configuration, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
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

    private readonly SocketsHttpHandler _handler = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
    private DevStackServer? _devStack;
    private CrmClient? _root;
    private CrmClientOptions? _options;

    /// <summary>True when this process runs its own DevStack (demo mode).</summary>
    public bool IsEmbedded => _devStack is not null;

    /// <summary>The client every per-user client is derived from (<see cref="CrmClient.ForUser"/>). It never signs in itself.</summary>
    public CrmClient Root => _root ?? throw new InvalidOperationException("The CRM backend has not started yet.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var section = configuration.GetSection("AutoCrm");
        Uri url;
        string apiKey;
        if (section["Url"] is { Length: > 0 } configured)
        {
            url = new Uri(configured, UriKind.Absolute);
            apiKey = section["ApiKey"] is { Length: > 0 } key
                ? key
                : throw new InvalidOperationException("AutoCrm:ApiKey (the project's anon key) is required with AutoCrm:Url.");
        }
        else
        {
            // Every browser signs in through this host, so the DevStack sees one client address: its sign-in rate limit
            // is then a limit for the whole demo. On by default; AutoCrm:DevStack:AuthRateLimits=false turns it off
            // (the browser tests, which sign in far more often than people do).
            _devStack = await DevStackServer.StartAsync(
                new DevStackOptions
                {
                    LoggerFactory = loggerFactory,
                    EnforceAuthRateLimits = section.GetValue("DevStack:AuthRateLimits", defaultValue: true),
                },
                cancellationToken);
            url = _devStack.Url;
            apiKey = _devStack.AnonKey;
        }

        var options = new CrmClientOptions
        {
            Url = url,
            ApiKey = apiKey,
            HttpMessageHandler = _handler,
            AutoRefreshToken = false,
            LoggerFactory = loggerFactory,
        };
        _options = options;
        _root = new CrmClient(options);
    }

    /// <summary>A short-lived client for signing in or up: its own session store, so the shared root never holds a user.</summary>
    public CrmClient CreateSignInClient()
    {
        var options = _options ?? throw new InvalidOperationException("The CRM backend has not started yet.");
        return new CrmClient(new CrmClientOptions
        {
            Url = options.Url,
            ApiKey = options.ApiKey,
            HttpMessageHandler = _handler,
            AutoRefreshToken = false,
            LoggerFactory = loggerFactory,
        });
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _root?.Dispose();
        _handler.Dispose();
        if (_devStack is not null)
        {
            await _devStack.DisposeAsync();
        }
    }
}
