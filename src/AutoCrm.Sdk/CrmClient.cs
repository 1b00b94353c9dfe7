using AutoCrm.Sdk.Agents;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Tickets;
using AutoCrm.Sdk.Views;
using AutoCrm.Sdk.Reports;
using AutoCrm.Sdk.Sla;
using AutoCrm.Sdk.Webhooks;

namespace AutoCrm.Sdk;

/// <summary>
/// The AutoCRM client: one per project and process (or one per user session on a server, see
/// <see cref="WithSession(ISessionStore)"/> and <see cref="ForUser"/>). Immutable and thread-safe; nothing connects until the first call.
/// </summary>
/// <example>
/// <code>
/// using var crm = new CrmClient(new CrmClientOptions { Url = new Uri("http://127.0.0.1:54321"), ApiKey = anonKey });
/// await crm.Auth.SignInWithPasswordAsync("carol@customer.demo", "autocrm-demo");
/// var ticket = await crm.Tickets.CreateAsync(new NewTicket { Subject = "Cannot log in" });
/// </code>
/// </example>
public class CrmClient : IDisposable, IAsyncDisposable
{
    private readonly HttpClient? _ownedHttpClient;
    private readonly bool _ownsAuth;
    private readonly Lazy<RealtimeClient> _realtime = null!;
    private int _disposed;

    /// <summary>For fakes in tests: a subclass overrides the properties it needs, e.g. <see cref="Tickets"/> returning a fake
    /// <see cref="TicketsClient"/> (see docs/testing.md). Such a client sends nothing.</summary>
    protected CrmClient()
    {
        Connection = null!;
        Auth = null!;
        Rest = null!;
        Tickets = null!;
        Queues = null!;
        Profiles = null!;
        Fields = null!;
        Automations = null!;
        Macros = null!;
        Views = null!;
        Webhooks = null!;
        Sla = null!;
        Ratings = null!;
        Reports = null!;
        Agents = null!;
    }

    /// <summary>Creates a client. It owns its <see cref="HttpClient"/> (over <see cref="CrmClientOptions.HttpMessageHandler"/>
    /// when given); dispose the client when done. In an app with dependency injection use <c>services.AddAutoCrm(...)</c>.</summary>
    /// <param name="options">The settings; copied, so later changes have no effect.</param>
    /// <exception cref="CrmValidationException">The options are invalid (code <c>invalid_options</c>; <see cref="CrmValidationException.Field"/> names the first bad setting).</exception>
    public CrmClient(CrmClientOptions options)
        : this(options, httpClient: null)
    {
    }

    /// <summary>The DI path: the HTTP client comes from <c>IHttpClientFactory</c> per request.</summary>
    internal CrmClient(CrmClientOptions options, Func<HttpClient>? httpClient)
    {
        CrmOptionsValidator.ThrowIfInvalid(options);
        if (httpClient is null)
        {
            _ownedHttpClient = options.HttpMessageHandler is { } handler
                ? new HttpClient(handler, disposeHandler: false)
                : new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true);

            // The resilience pipeline owns timeouts; HttpClient's own 100 s limit would cut across them.
            _ownedHttpClient.Timeout = Timeout.InfiniteTimeSpan;
            var owned = _ownedHttpClient;
            httpClient = () => owned;
        }

        Connection = new CrmConnection(options, httpClient);
        _ownsAuth = true;
        var auth = new AuthClient(Connection, options.SessionStore ?? new InMemorySessionStore(), Connection.AutoRefreshToken);
        (Auth, Rest, Tickets, Queues, Profiles, Fields, Automations, Macros) = Build(Connection, auth);
        _realtime = new Lazy<RealtimeClient>(CreateRealtime);
        Views = CreateViews(Connection, auth);
        Webhooks = new WebhooksClient(new RestClient(Connection, auth, Connection.Schema, requiresUser: true));
        Sla = new SlaClient(new RestClient(Connection, auth, Connection.Schema, requiresUser: true));
        Ratings = new RatingsClient(new RestClient(Connection, auth, Connection.Schema, requiresUser: true));
        Reports = new ReportsClient(new RestClient(Connection, auth, Connection.Schema, requiresUser: true));
        Agents = CreateAgents(Connection, auth);
    }

    private CrmClient(CrmConnection connection, AuthClient auth)
    {
        Connection = connection;
        _ownsAuth = true;
        (Auth, Rest, Tickets, Queues, Profiles, Fields, Automations, Macros) = Build(connection, auth);
        _realtime = new Lazy<RealtimeClient>(CreateRealtime);
        Views = CreateViews(connection, auth);
        Webhooks = new WebhooksClient(new RestClient(connection, auth, connection.Schema, requiresUser: true));
        Sla = new SlaClient(new RestClient(connection, auth, connection.Schema, requiresUser: true));
        Ratings = new RatingsClient(new RestClient(connection, auth, connection.Schema, requiresUser: true));
        Reports = new ReportsClient(new RestClient(connection, auth, connection.Schema, requiresUser: true));
        Agents = CreateAgents(connection, auth);
    }

    /// <summary>Sign-in, session and user management.</summary>
    public virtual AuthClient Auth { get; }

    /// <summary>Tickets, conversations and history.</summary>
    public virtual TicketsClient Tickets { get; }

    /// <summary>Queues, claiming, assignment and membership.</summary>
    public virtual QueuesClient Queues { get; }

    /// <summary>User profiles and roles.</summary>
    public virtual ProfilesClient Profiles { get; }

    /// <summary>Custom ticket field definitions and the field values of a ticket.</summary>
    public virtual FieldsClient Fields { get; }

    /// <summary>Automation rules (admins): create, change, enable, disable, delete and dry-run them.</summary>
    public virtual AutomationsClient Automations { get; }

    /// <summary>Macros: list, preview and apply them to tickets as the signed-in agent.</summary>
    public virtual MacrosClient Macros { get; }
    /// <summary>Saved views (named searches) and their live counts.</summary>
    public virtual ViewsClient Views { get; }

    /// <summary>Webhook endpoints and their delivery log (admins, or back-office code with the service-role key): create,
    /// list, change, rotate secrets, send a test event, list deliveries, redeliver.</summary>
    public virtual WebhooksClient Webhooks { get; }

    /// <summary>SLAs: business-hours calendars and SLA policies (admins manage, agents read) and the SLA clocks of a ticket.</summary>
    public virtual SlaClient Sla { get; }

    /// <summary>CSAT: a requester rates a solved ticket (and may change the rating for 7 days); staff read the ratings of the
    /// tickets they see; admins choose the scale.</summary>
    public virtual RatingsClient Ratings { get; }

    /// <summary>Reports over the metric facts (agents: their queues; admins: everything): a period's summary, time series in
    /// a time zone's days, weeks or months, and the agent leaderboard.</summary>
    public virtual ReportsClient Reports { get; }

    /// <summary>Routing: agents' availability (and the signed-in agent's idle presence), load, capacity and skills, the
    /// skills a ticket needs, queues' routing modes and the default capacity.</summary>
    public virtual AgentsClient Agents { get; }

    /// <summary>The general PostgREST builder for any table, view or function. Unlike the typed clients it also sends
    /// requests as the anon key alone, for data a project exposes publicly.</summary>
    public virtual RestClient Rest { get; }

    /// <summary>Live tickets, status changes, queue updates, messages and viewers as <see cref="IObservable{T}"/> streams over
    /// Supabase Realtime, acting as this client's user. The socket opens with the first subscription.</summary>
    public virtual RealtimeClient Realtime => _realtime.Value;

    /// <summary>The project URL (ends with '/'); the realtime socket URL is derived from it.</summary>
    internal Uri ProjectUrl => Connection.ProjectUrl;

    /// <summary>The project key (sent as <c>apikey</c>).</summary>
    internal string ApiKey => Connection.ApiKey;

    /// <summary>The current bearer token: the user's access token (refreshed when due), a fixed token, or
    /// <see langword="null"/> meaning "use <see cref="ApiKey"/>". Throws <see cref="CrmAuthException"/> after a rejected refresh.</summary>
    internal Func<CancellationToken, ValueTask<string?>> AccessTokenProvider => Auth.GetAccessTokenAsync;

    /// <summary>The session whenever it changes (sign-in, refresh, sign-out → null).</summary>
    internal IObservable<Session?> SessionChanges => Auth.SessionChanges;

    internal CrmConnection Connection { get; }

    /// <summary>
    /// A lightweight client acting as the user of <paramref name="session"/>, sharing this client's HTTP connections,
    /// pipeline and settings. The session lives in this client's memory only and is refreshed on demand (when a call finds
    /// it due), not by a timer; a rotated refresh token is not saved anywhere else. For a server that keeps sessions
    /// between requests use <see cref="WithSession(ISessionStore)"/>, which saves rotated tokens and shares one refresh.
    /// </summary>
    /// <param name="session">The user's session.</param>
    /// <returns>The user-bound client. Disposing it does not affect this client.</returns>
    /// <example><code>var userCrm = crm.WithSession(sessionFromCookie); var mine = userCrm.Tickets.ListAsync();</code></example>
    public virtual CrmClient WithSession(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var auth = new AuthClient(Connection, new InMemorySessionStore(AuthTransport.Normalize(session, Connection.TimeProvider)), autoRefresh: false);
        return new CrmClient(Connection, auth);
    }

    /// <summary>
    /// A lightweight client acting as the user whose session lives in <paramref name="sessionStore"/>, sharing this client's
    /// HTTP connections, pipeline and settings. For a server acting for many users, with one store per user session: the
    /// store is the session's one home. The session is read from it on first use and refreshed on demand when a call finds
    /// it due (no timer); the rotated tokens are saved back. Clients of this root that share a store share one refresh,
    /// and a client re-reads the store before refreshing, so concurrent requests of one user never spend the same refresh
    /// token twice (refresh tokens rotate, and a spent one presented again revokes the whole session). A refresh the server
    /// rejects clears the store, and so does <c>Auth.SignOutAsync</c>; the other clients of the store then find it empty and
    /// report <see cref="CrmAuthException"/> (<c>session_missing</c>) instead of refreshing. Signing in through this client
    /// saves the new session to the store.
    /// </summary>
    /// <param name="sessionStore">Where this user's session lives; compared by reference.</param>
    /// <returns>The user-bound client. Disposing it does not affect this client or the store.</returns>
    /// <example><code>var userCrm = crm.WithSession(storeOfThisBrowserSession); var mine = userCrm.Tickets.ListAsync();</code></example>
    public virtual CrmClient WithSession(ISessionStore sessionStore)
    {
        ArgumentNullException.ThrowIfNull(sessionStore);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var auth = new AuthClient(Connection, sessionStore, autoRefresh: false, flight: Connection.FlightFor(sessionStore));
        return new CrmClient(Connection, auth);
    }

    /// <summary>
    /// A lightweight client that sends <paramref name="accessToken"/> as the bearer token on every call (no refresh),
    /// sharing this client's HTTP connections and pipeline. For a server that receives a user's JWT per request.
    /// </summary>
    /// <param name="accessToken">The user's access token (JWT).</param>
    /// <returns>The user-bound client.</returns>
    public virtual CrmClient ForUser(string accessToken)
    {
        Guard.NotBlank(accessToken, "access_token");
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var auth = new AuthClient(Connection, new InMemorySessionStore(), autoRefresh: false, fixedToken: accessToken);
        return new CrmClient(Connection, auth);
    }

    /// <summary>Stops the refresh timer, closes the realtime socket (without waiting for it) and releases the HTTP client this
    /// instance created. Prefer <see cref="DisposeAsync"/>, which waits until the realtime socket is closed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_ownsAuth)
        {
            Auth.Dispose();
        }

        if (_realtime is { IsValueCreated: true })
        {
            _realtime.Value.Dispose();
        }

        _ownedHttpClient?.Dispose();
    }

    /// <summary>Stops the refresh timer, leaves the realtime channels and closes the socket (waiting until it is closed), and
    /// releases the HTTP client this instance created.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    /// <example><code>await using var crm = new CrmClient(options);</code></example>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_ownsAuth)
        {
            Auth.Dispose();
        }

        if (_realtime is { IsValueCreated: true })
        {
            await _realtime.Value.DisposeAsync().ConfigureAwait(false);
        }

        _ownedHttpClient?.Dispose();
    }

    private RealtimeClient CreateRealtime() => new(
        ProjectUrl,
        ApiKey,
        AccessTokenProvider,
        System.Reactive.Linq.Observable.Select(SessionChanges, static s => s?.AccessToken),
        new Realtime.Streams.RestTicketEventReader(Rest),
        Connection.TimeProvider,
        Connection.LoggerFactory,
        Connection.Realtime);

    private static AgentsClient CreateAgents(CrmConnection connection, AuthClient auth) =>
        new(new RestClient(connection, auth, connection.Schema, requiresUser: true), connection.TimeProvider, connection.Logger);

    private ViewsClient CreateViews(CrmConnection connection, AuthClient auth) =>
        new(new RestClient(connection, auth, connection.Schema, requiresUser: true), Tickets, () => Realtime, connection.TimeProvider);

    private static (AuthClient, RestClient, TicketsClient, QueuesClient, ProfilesClient, FieldsClient, AutomationsClient, MacrosClient) Build(
        CrmConnection connection, AuthClient auth)
    {
        var rest = new RestClient(connection, auth, connection.Schema);
        var asUser = new RestClient(connection, auth, connection.Schema, requiresUser: true);
        var tickets = new TicketsClient(asUser, connection.TimeProvider);
        var queues = new QueuesClient(asUser, tickets);
        return (auth, rest, tickets, queues, new ProfilesClient(asUser), new FieldsClient(asUser), new AutomationsClient(asUser), new MacrosClient(asUser));
    }
}
