using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text.Json;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Auth;

/// <summary>
/// Sign-up, sign-in, sign-out and the signed-in session of one client (<c>/auth/v1</c>). The session is kept in the
/// configured <see cref="ISessionStore"/>, attached to every request, refreshed ahead of expiry on the client's
/// <see cref="TimeProvider"/>, and refreshed once for any number of concurrent callers. A refresh the server rejects
/// ends the session: <see cref="StateChanges"/> reports <see cref="AuthChangeEvent.SignedOut"/> with the error, and
/// the next call that needs the session throws <see cref="CrmAuthException"/> until you sign in again.
/// </summary>
public partial class AuthClient : IAccessTokenSource
{
    private static readonly TimeSpan TransientRetryDelay = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(20);

    private readonly CrmConnection _connection = null!;
    private readonly ISessionStore _store = null!;
    private readonly bool _autoRefresh;
    private readonly string? _fixedToken;

    /// <summary>True for <c>CrmClient.WithSession(ISessionStore)</c>: the store, not this client, holds the session, and
    /// other clients may rotate or clear it.</summary>
    private readonly bool _sharesStore;
    private readonly Subject<AuthStateChange> _subject = new();
    private readonly IObservable<AuthStateChange> _changes = null!;
    private readonly object _gate = new();
    private readonly RefreshFlight _flight = null!;

    /// <summary>Orders publishing against subscribing, so a subscriber's replayed state and its first change never cross.</summary>
    private readonly object _publishGate = new();

    private Session? _session;
    private bool _loaded;
    private Task? _loadTask;
    private CrmErrorInfo? _failure;
    private CrmException? _failureCause;
    private ITimer? _timer;
    private bool _disposed;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected AuthClient()
    {
        Admin = null!;
    }

    internal AuthClient(CrmConnection connection, ISessionStore store, bool autoRefresh, string? fixedToken = null, RefreshFlight? flight = null)
    {
        _flight = flight ?? new RefreshFlight();
        _sharesStore = flight is not null;
        _connection = connection;
        _store = store;
        _autoRefresh = autoRefresh;
        _fixedToken = fixedToken;
        _changes = Observable.Create<AuthStateChange>(SubscribeState);
        Admin = new AuthAdminClient(connection);
    }

    /// <summary>User management with the service key.</summary>
    public virtual AuthAdminClient Admin { get; }

    /// <summary>
    /// This client's authentication state and every change of it (signed in, token refreshed, user updated, signed out,
    /// refresh failed). Like a <c>BehaviorSubject</c> (and supabase-js's <c>INITIAL_SESSION</c>): each subscriber first gets
    /// <see cref="AuthChangeEvent.InitialSession"/> with the current session (null when signed out; read from the session
    /// store first if needed), then the changes after it, none missed and none repeated. Changes are published on the
    /// thread that caused them; the SDK does not marshal to a context.
    /// </summary>
    public virtual IObservable<AuthStateChange> StateChanges => _changes;

    /// <summary>The session as it changes (null when signed out); for the realtime client, which re-authenticates its socket.</summary>
    internal IObservable<Session?> SessionChanges => _changes.Select(static c => c.Session);

    internal bool IsFixedToken => _fixedToken is not null;

    /// <summary>Creates an account with e-mail and password. When the project confirms sign-ups at once (the local default),
    /// the result has a session and the client is signed in.</summary>
    /// <param name="email">The e-mail address.</param>
    /// <param name="password">The password.</param>
    /// <param name="data">User metadata to store with the account (<c>user_metadata</c>), e.g. <c>display_name</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The user and, when confirmed, the session.</returns>
    /// <exception cref="CrmConflictException">The account exists (<c>user_already_exists</c>).</exception>
    /// <exception cref="CrmValidationException">The password is too weak (<c>weak_password</c>, field <c>password</c>) or the
    /// e-mail address is invalid (field <c>email</c>).</exception>
    public virtual async Task<AuthResponse> SignUpAsync(string email, string password, CrmMetadata? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(password);
        RequireText(email, "email");
        ThrowIfFixed();
        using var activity = CrmTelemetry.StartCall("Auth.SignUp");
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new SignUpRequest(email, password, data), CrmJsonContext.Default.SignUpRequest);
            using var response = await AuthTransport.SendAsync(_connection, HttpMethod.Post, "signup", body, null, false, cancellationToken).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.TryGetProperty("access_token", out _))
            {
                var session = AuthTransport.Normalize(document.RootElement.Deserialize(CrmJsonContext.Default.Session)!, _connection.TimeProvider);
                await AdoptAsync(session, AuthChangeEvent.SignedIn, cancellationToken).ConfigureAwait(false);
                return new AuthResponse { User = session.User!, Session = session };
            }

            var user = document.RootElement.Deserialize(CrmJsonContext.Default.User)!;
            return new AuthResponse { User = user };
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Signs in with e-mail and password and keeps the session.</summary>
    /// <param name="email">The e-mail address.</param>
    /// <param name="password">The password.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session.</returns>
    /// <exception cref="CrmAuthException">Wrong e-mail or password (<c>invalid_credentials</c>), or the e-mail is not confirmed.</exception>
    public virtual async Task<Session> SignInWithPasswordAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(password);
        RequireText(email, "email");
        ThrowIfFixed();
        using var activity = CrmTelemetry.StartCall("Auth.SignInWithPassword");
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new PasswordCredentials(email, password), CrmJsonContext.Default.PasswordCredentials);
            var session = await AuthTransport.SendAsync(
                _connection, HttpMethod.Post, "token?grant_type=password", body, null, false, CrmJsonContext.Default.Session, cancellationToken).ConfigureAwait(false);
            session = AuthTransport.Normalize(session, _connection.TimeProvider);
            await AdoptAsync(session, AuthChangeEvent.SignedIn, cancellationToken).ConfigureAwait(false);
            if (session.User is { } user)
            {
                Log.SignedIn(_connection.Logger, user.Id);
            }

            return session;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Uses a session obtained elsewhere (e.g. from a web app's cookie), as if this client had signed in.</summary>
    /// <param name="session">The session.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    /// <returns>A task that completes when the session is stored.</returns>
    public virtual async Task SetSessionAsync(Session session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ThrowIfFixed();
        await AdoptAsync(AuthTransport.Normalize(session, _connection.TimeProvider), AuthChangeEvent.SignedIn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs out. The server ends the sessions of the given scope; locally the session is forgotten
    /// (except for <see cref="SignOutScope.Others"/>). A session the server no longer knows counts as signed out.</summary>
    /// <param name="scope">Which sessions to end.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when signed out.</returns>
    public virtual async Task SignOutAsync(SignOutScope scope = SignOutScope.Global, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Auth.SignOut");
        try
        {
            var token = _fixedToken ?? (await SessionToEndAsync(cancellationToken).ConfigureAwait(false))?.AccessToken;
            var scopeText = scope switch { SignOutScope.Global => "global", SignOutScope.Local => "local", _ => "others" };
            if (token is not null)
            {
                try
                {
                    using var response = await AuthTransport.SendAsync(
                        _connection, HttpMethod.Post, "logout?scope=" + scopeText, null, token, false, cancellationToken).ConfigureAwait(false);
                }
                catch (CrmException ex) when (ex.Status is 401 or 403 or 404)
                {
                    // Already gone on the server: that is what signing out wants.
                }
            }

            Log.SignedOut(_connection.Logger, scopeText);
            if (scope != SignOutScope.Others && _fixedToken is null)
            {
                await ForgetAsync(null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>The current session, refreshed first if it is about to expire; <see langword="null"/> when signed out.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session.</returns>
    /// <exception cref="CrmAuthException">The last refresh was rejected; sign in again.</exception>
    public virtual async Task<Session?> GetSessionAsync(CancellationToken cancellationToken = default)
    {
        if (_fixedToken is not null)
        {
            return null;
        }

        return await CurrentAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the signed-in user from the server (<c>GET /user</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The user.</returns>
    /// <exception cref="CrmAuthException">Not signed in, or the session is no longer valid.</exception>
    public virtual async Task<User> GetUserAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Auth.GetUser");
        try
        {
            var token = await RequireTokenAsync(cancellationToken).ConfigureAwait(false);
            return await AuthTransport.SendAsync(_connection, HttpMethod.Get, "user", null, token, true, CrmJsonContext.Default.User, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes the signed-in user's e-mail, password, phone or metadata (<c>PUT /user</c>).</summary>
    /// <param name="attributes">What to change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed user.</returns>
    /// <exception cref="CrmAuthException">Not signed in.</exception>
    public virtual async Task<User> UpdateUserAsync(UserAttributes attributes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        using var activity = CrmTelemetry.StartCall("Auth.UpdateUser");
        try
        {
            var token = await RequireTokenAsync(cancellationToken).ConfigureAwait(false);
            var body = JsonSerializer.SerializeToUtf8Bytes(attributes, CrmJsonContext.Default.UserAttributes);
            var user = await AuthTransport.SendAsync(_connection, HttpMethod.Put, "user", body, token, false, CrmJsonContext.Default.User, cancellationToken).ConfigureAwait(false);
            Session? updated = null;
            lock (_gate)
            {
                if (_session is { } current)
                {
                    updated = _session = current with { User = user };
                }
            }

            if (updated is not null)
            {
                await SaveQuietlyAsync(updated).ConfigureAwait(false);
            }

            Publish(new AuthStateChange { Event = AuthChangeEvent.UserUpdated, Session = updated });
            return user;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Renews the access token now (normally the client does this by itself ahead of expiry).</summary>
    /// <param name="cancellationToken">Cancels the wait (the refresh itself completes for the other callers).</param>
    /// <returns>The new session.</returns>
    /// <exception cref="CrmAuthException">Not signed in, or the refresh token was rejected.</exception>
    public virtual async Task<Session> RefreshSessionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFixed();
        using var activity = CrmTelemetry.StartCall("Auth.RefreshSession");
        try
        {
            var session = await LoadAsync(cancellationToken).ConfigureAwait(false);
            ThrowIfFailed();
            if (session is null)
            {
                throw NotSignedIn();
            }

            return await RefreshAsync(session, force: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <inheritdoc/>
    async ValueTask<string?> IAccessTokenSource.GetAccessTokenAsync(CancellationToken cancellationToken) =>
        _fixedToken ?? (await CurrentAsync(cancellationToken).ConfigureAwait(false))?.AccessToken;

    /// <summary>The bearer token for a request; the realtime client calls this before joining and on every heartbeat.</summary>
    internal ValueTask<string?> GetAccessTokenAsync(CancellationToken cancellationToken) =>
        ((IAccessTokenSource)this).GetAccessTokenAsync(cancellationToken);

    internal void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }

        lock (_publishGate)
        {
            _subject.OnCompleted();
            _subject.Dispose();
        }
    }

    // ---- session state -----------------------------------------------------------------------------

    private async ValueTask<Session?> CurrentAsync(CancellationToken cancellationToken)
    {
        var session = await LoadAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfFailed();
        if (session is null || !IsDue(session))
        {
            return session;
        }

        try
        {
            return await RefreshAsync(session, force: false, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmException ex) when (ex.IsTransient && _connection.TimeProvider.GetUtcNow() < session.ExpiresAt)
        {
            // The server is unreachable for now but the token still works: use it and refresh later.
            return session;
        }
    }

    /// <summary>
    /// The session to end on the server, refreshed first when due: the server refuses an expired access token, which
    /// would leave the refresh token valid. A refresh already in flight (perhaps by another client of a shared store) is
    /// joined, so it cannot save tokens after the sign-out cleared the store.
    /// </summary>
    private async ValueTask<Session?> SessionToEndAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await CurrentAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CrmAuthException)
        {
            // Already ended (a rejected refresh): nothing is left to revoke.
            return null;
        }
    }

    private async ValueTask<string> RequireTokenAsync(CancellationToken cancellationToken)
    {
        if (_fixedToken is not null)
        {
            return _fixedToken;
        }

        return (await CurrentAsync(cancellationToken).ConfigureAwait(false))?.AccessToken ?? throw NotSignedIn();
    }

    private ValueTask<Session?> LoadAsync(CancellationToken cancellationToken)
    {
        Task load;
        lock (_gate)
        {
            if (_loaded)
            {
                return ValueTask.FromResult(_session);
            }

            load = _loadTask ??= LoadFromStoreAsync();
        }

        return AwaitLoadAsync(load, cancellationToken);
    }

    private async ValueTask<Session?> AwaitLoadAsync(Task load, CancellationToken cancellationToken)
    {
        await load.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Volatile.Read(ref _session);
    }

    private async Task LoadFromStoreAsync()
    {
        Session? stored = null;
        try
        {
            stored = await _store.LoadAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            Log.SessionStoreFailed(_connection.Logger, "load", ex);
        }

        var adopted = false;
        lock (_gate)
        {
            if (!_loaded)
            {
                _session = stored is null ? null : AuthTransport.Normalize(stored, _connection.TimeProvider);
                _loaded = true;
                adopted = _session is not null;
            }
        }

        if (adopted)
        {
            Schedule(_session!);
        }
    }

    private async Task AdoptAsync(Session session, AuthChangeEvent change, CancellationToken cancellationToken, bool save = true)
    {
        lock (_gate)
        {
            _session = session;
            _loaded = true;
            _failure = null;
            _failureCause = null;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (save)
        {
            await SaveQuietlyAsync(session).ConfigureAwait(false);
        }

        Schedule(session);
        Publish(new AuthStateChange { Event = change, Session = session });
    }

    private async Task ForgetAsync(CrmException? error, CancellationToken cancellationToken, bool clearStore = true)
    {
        lock (_gate)
        {
            _session = null;
            _loaded = true;
            _timer?.Dispose();
            _timer = null;
            if (error is not null)
            {
                _failure = new CrmErrorInfo
                {
                    Status = error.Status,
                    Code = error.Code ?? "refresh_failed",
                    Message = "The session could not be refreshed and has ended; sign in again. " + error.Message,
                    RequestId = error.RequestId,
                    IsTransient = false,
                };
                _failureCause = error;
            }
            else
            {
                _failure = null;
                _failureCause = null;
            }
        }

        if (clearStore)
        {
            try
            {
                await _store.ClearAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.SessionStoreFailed(_connection.Logger, "clear", ex);
            }
        }

        Publish(new AuthStateChange { Event = AuthChangeEvent.SignedOut, Error = error });
    }

    /// <summary>The <see cref="CrmException.Code"/> of a refresh that failed because the caller's session store threw.</summary>
    internal const string SessionStoreFailedCode = "session_store_failed";

    private async Task SaveQuietlyAsync(Session session)
    {
        try
        {
            await _store.SaveAsync(session, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SessionStoreFailed(_connection.Logger, "save", ex);
        }
    }

    private bool IsDue(Session session) =>
        _connection.TimeProvider.GetUtcNow() >= session.ExpiresAt - _connection.RefreshAhead;

    private void ThrowIfFailed()
    {
        CrmErrorInfo? failure;
        CrmException? cause;
        lock (_gate)
        {
            failure = _failure;
            cause = _failureCause;
        }

        if (failure is not null)
        {
            throw new CrmAuthException(failure, cause);
        }
    }

    private static void RequireText(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw CrmErrors.Invalid(field, $"A value for {field} is required.");
        }
    }

    private void ThrowIfFixed()
    {
        if (_fixedToken is not null)
        {
            throw new CrmException(new CrmErrorInfo
            {
                Code = "fixed_token",
                Message = "This client is bound to a fixed access token (CrmClient.ForUser); it cannot sign in, change or refresh its session.",
                IsTransient = false,
            });
        }
    }

    private static CrmAuthException NotSignedIn() => CrmErrors.NotSignedIn();
}
