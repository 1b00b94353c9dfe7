using System.Text.Json;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Auth;

// Token refresh: one flight per session (or per shared session store), the timer that refreshes ahead of expiry, and
// what a shared store changes (another client may have rotated or cleared the tokens since this one read them).
public partial class AuthClient
{
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
