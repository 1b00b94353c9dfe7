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
public class AuthClient : IAccessTokenSource
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

    private void Publish(AuthStateChange change)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
        }

        lock (_publishGate)
        {
            _subject.OnNext(change);
        }
    }

    private IDisposable SubscribeState(IObserver<AuthStateChange> observer)
    {
        bool loaded;
        lock (_gate)
        {
            loaded = _loaded || _fixedToken is not null;
        }

        if (loaded)
        {
            return Attach(observer);
        }

        // Read the stored session first; the subscription starts with whatever the state is once it is known.
        var subscription = new System.Reactive.Disposables.SingleAssignmentDisposable();
        var cancel = new CancellationTokenSource();
        _ = LoadAsync(cancel.Token).AsTask().ContinueWith(
            load =>
            {
                if (load.IsCanceled)
                {
                    return;
                }

                if (load.Exception is { } error)
                {
                    observer.OnError(error.InnerException ?? error);
                    return;
                }

                subscription.Disposable = Attach(observer);
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return new System.Reactive.Disposables.CompositeDisposable(subscription, System.Reactive.Disposables.Disposable.Create(() =>
        {
            cancel.Cancel();
            cancel.Dispose();
        }));
    }

    private IDisposable Attach(IObserver<AuthStateChange> observer)
    {
        lock (_publishGate)
        {
            Session? session;
            bool disposed;
            lock (_gate)
            {
                session = _session;
                disposed = _disposed;
            }

            if (disposed)
            {
                observer.OnCompleted();
                return System.Reactive.Disposables.Disposable.Empty;
            }

            observer.OnNext(new AuthStateChange { Event = AuthChangeEvent.InitialSession, Session = session });
            return _subject.Subscribe(observer);
        }
    }

    // ---- refresh -----------------------------------------------------------------------------------

    /// <summary>Single flight: the first caller starts the refresh, everyone else awaits the same result.</summary>
    private Task<Session> RefreshAsync(Session current, bool force, CancellationToken cancellationToken)
    {
        TaskCompletionSource<Session> refresh;
        var owner = false;
        lock (_gate)
        {
            if (_session is { } latest && latest.RefreshToken != current.RefreshToken && (!IsDue(latest) || force))
            {
                // Someone refreshed while this caller was on its way.
                return Task.FromResult(latest);
            }
        }

        // The flight may be shared with other clients of the same session store (CrmClient.WithSession(ISessionStore)):
        // with refresh-token rotation, two refreshes of one session would revoke each other.
        lock (_flight.Gate)
        {
            if (_flight.Pending is null)
            {
                _flight.Pending = new TaskCompletionSource<Session>(TaskCreationOptions.RunContinuationsAsynchronously);
                owner = true;
            }

            refresh = _flight.Pending;
        }

        if (owner)
        {
            _ = RunRefreshAsync(current, refresh);
            return refresh.Task.WaitAsync(cancellationToken);
        }

        return JoinRefreshAsync(current, refresh.Task, cancellationToken);
    }

    /// <summary>Waits for a refresh another caller (possibly another client sharing the store) started, and takes its
    /// outcome: its session, or the end of the session when it was rejected.</summary>
    private async Task<Session> JoinRefreshAsync(Session current, Task<Session> refresh, CancellationToken cancellationToken)
    {
        Session session;
        try
        {
            session = await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CrmException ex) when (!ex.IsTransient && StillHolds(current))
        {
            // Another client's refresh ended the session (and cleared the store): this client's copy has ended too.
            await ForgetAsync(ex.Code == CrmErrors.SessionMissingCode ? null : ex.InnerException as CrmException ?? ex, CancellationToken.None, clearStore: false)
                .ConfigureAwait(false);
            throw;
        }

        bool adopted;
        lock (_gate)
        {
            adopted = _session is { } held && held.RefreshToken == current.RefreshToken && held.RefreshToken != session.RefreshToken;
            if (adopted)
            {
                _session = session;
            }
        }

        if (adopted)
        {
            Publish(new AuthStateChange { Event = AuthChangeEvent.TokenRefreshed, Session = session });
        }

        return session;
    }

    private bool StillHolds(Session session)
    {
        lock (_gate)
        {
            return _session is { } held && held.RefreshToken == session.RefreshToken;
        }
    }

    private async Task RunRefreshAsync(Session current, TaskCompletionSource<Session> refresh)
    {
        Session? result = null;
        Exception? failure = null;
        try
        {
            result = await RefreshOnceAsync(current).ConfigureAwait(false);
        }
        catch (CrmException ex)
        {
            failure = ex;
        }
        catch (Exception ex)
        {
            // The caller's session store threw its own exception. Every waiter hears it (a flight left pending would hang
            // each later call of this session), as a CrmException like every other failure of a public call.
            failure = new CrmException(
                new CrmErrorInfo { Message = $"The session store failed: {ex.Message}", Code = SessionStoreFailedCode, IsTransient = false }, ex);
        }

        lock (_flight.Gate)
        {
            if (ReferenceEquals(_flight.Pending, refresh))
            {
                _flight.Pending = null;
            }
        }

        if (result is not null)
        {
            refresh.SetResult(result);
        }
        else
        {
            refresh.SetException(failure!);
            _ = refresh.Task.Exception; // observed here: timer-started refreshes may have no awaiter
        }
    }

    /// <summary>The refresh itself: the outcome is adopted (or the session forgotten) before the flight completes.</summary>
    private async Task<Session> RefreshOnceAsync(Session current)
    {
        if (_sharesStore)
        {
            // Other clients of the store may have rotated the token or signed out since this client read it; spending a
            // rotated refresh token after the reuse interval makes the server revoke the whole session.
            var (read, stored) = await ReadStoreAsync().ConfigureAwait(false);
            if (read && stored is null)
            {
                await ForgetAsync(null, CancellationToken.None, clearStore: false).ConfigureAwait(false);
                throw CrmErrors.NotSignedIn();
            }

            if (stored is not null && stored.RefreshToken != current.RefreshToken)
            {
                if (!IsDue(stored))
                {
                    await AdoptAsync(stored, AuthChangeEvent.TokenRefreshed, CancellationToken.None, save: false).ConfigureAwait(false);
                    return stored;
                }

                current = stored;
            }
        }

        Session result;
        try
        {
            result = await RequestRefreshAsync(current).ConfigureAwait(false);
        }
        catch (CrmException transient) when (transient.IsTransient)
        {
            Publish(new AuthStateChange { Event = AuthChangeEvent.RefreshFailed, Session = current, Error = transient });
            ScheduleIn(TransientRetryDelay);
            throw;
        }
        catch (CrmException rejected)
        {
            await ForgetAsync(rejected, CancellationToken.None).ConfigureAwait(false);
            throw new CrmAuthException(_failure ?? new CrmErrorInfo { Message = rejected.Message, Status = rejected.Status }, rejected);
        }

        await AdoptAsync(result, AuthChangeEvent.TokenRefreshed, CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    /// <summary>Spends <paramref name="current"/>'s refresh token; a rejection is answered from the store when another
    /// process sharing it refreshed first.</summary>
    private async Task<Session> RequestRefreshAsync(Session current)
    {
        try
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new RefreshTokenRequest(current.RefreshToken), CrmJsonContext.Default.RefreshTokenRequest);
            var session = await AuthTransport.SendAsync(
                _connection, HttpMethod.Post, "token?grant_type=refresh_token", body, null, true, CrmJsonContext.Default.Session, CancellationToken.None).ConfigureAwait(false);
            var result = AuthTransport.Normalize(session, _connection.TimeProvider);
            CrmTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("outcome", "ok"));
            Log.TokenRefreshed(_connection.Logger, result.ExpiresAt);
            return result;
        }
        catch (CrmException ex)
        {
            CrmTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("outcome", ex.IsTransient ? "transient" : "rejected"));
            Log.RefreshFailed(_connection.Logger, ex.Code, ex.IsTransient, ex);
            if (!ex.IsTransient && await TryStoredSessionAsync(current).ConfigureAwait(false) is { } stored)
            {
                // Another process sharing the store refreshed first (and rotated the token): use its session.
                return stored;
            }

            throw;
        }
    }

    private async Task<Session?> TryStoredSessionAsync(Session current)
    {
        var (_, stored) = await ReadStoreAsync().ConfigureAwait(false);
        return stored is not null && stored.RefreshToken != current.RefreshToken && !IsDue(stored) ? stored : null;
    }

    /// <summary>The stored session, normalised; <c>Read</c> is false when the store failed (logged).</summary>
    private async Task<(bool Read, Session? Stored)> ReadStoreAsync()
    {
        try
        {
            var stored = await _store.LoadAsync(CancellationToken.None).ConfigureAwait(false);
            return (true, stored is null ? null : AuthTransport.Normalize(stored, _connection.TimeProvider));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            Log.SessionStoreFailed(_connection.Logger, "load", ex);
            return (false, null);
        }
    }

    private void Schedule(Session session)
    {
        var due = session.ExpiresAt - _connection.RefreshAhead - _connection.TimeProvider.GetUtcNow();

        // Timers take at most ~49 days; a far-off expiry is re-checked when the capped timer fires.
        ScheduleIn(due < TimeSpan.Zero ? TimeSpan.Zero : due > MaxTimerDue ? MaxTimerDue : due);
    }

    private void ScheduleIn(TimeSpan due)
    {
        if (!_autoRefresh || _fixedToken is not null)
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _timer?.Dispose();
            _timer = _connection.TimeProvider.CreateTimer(static state => ((AuthClient)state!).OnTimer(), this, due, Timeout.InfiniteTimeSpan);
        }

        Log.RefreshScheduled(_connection.Logger, due.TotalSeconds);
    }

    private void OnTimer() =>
        // Off the timer's thread: the callback may run inside TimeProvider code (or a test's Advance call).
        _ = Task.Run(RefreshFromTimerAsync);

    private async Task RefreshFromTimerAsync()
    {
        Session? session;
        lock (_gate)
        {
            session = _session;
            if (_disposed || session is null)
            {
                return;
            }
        }

        if (!IsDue(session))
        {
            Schedule(session);
            return;
        }

        try
        {
            await RefreshAsync(session, force: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (CrmException)
        {
            // Already published on StateChanges (and retried later when transient).
        }
    }
}

/// <summary>The one token refresh in flight for a session: per client, or shared by the clients of one session store.</summary>
internal sealed class RefreshFlight
{
    public object Gate { get; } = new();

    public TaskCompletionSource<Session>? Pending { get; set; }
}
