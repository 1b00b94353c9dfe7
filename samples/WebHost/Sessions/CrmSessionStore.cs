using System.Collections.Concurrent;
using System.Security.Cryptography;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.WebHost.Infrastructure;

namespace AutoCrm.WebHost.Sessions;

/// <summary>
/// Server-side CRM sessions keyed by an opaque random id (the only thing in the browser's cookie), so tokens never reach
/// HTML, JavaScript or the cookie jar. In memory: a restart signs everyone out, which suits a sample; a farm would put
/// the same records in a shared cache.
/// </summary>
public sealed class CrmSessionStore(CrmBackend backend, TimeProvider time)
{
    /// <summary>Refresh this long before the access token expires, so a request never starts with a dying token.</summary>
    private static readonly TimeSpan RefreshAhead = TimeSpan.FromMinutes(2);

    /// <summary>Sessions unused this long are dropped (their refresh tokens simply expire on the server).</summary>
    private static readonly TimeSpan IdleLimit = TimeSpan.FromHours(12);

    private readonly ConcurrentDictionary<string, CrmUserSession> _sessions = new(StringComparer.Ordinal);

    public async Task<CrmUserSession> AddAsync(Session session, CancellationToken cancellationToken)
    {
        var user = session.User ?? throw new CrmAuthException("The sign-in returned no user.");
        using var crm = backend.Root.ForUser(session.AccessToken);
        var profile = await crm.Profiles.GetAsync(user.Id, cancellationToken);
        var id = Base64UrlId();
        var entry = new CrmUserSession(
            id, user.Id, profile.Email ?? user.Email ?? "", profile.DisplayName is { Length: > 0 } name ? name : user.Email ?? "", profile.Role, session);
        entry.LastSeen = time.GetUtcNow();
        DropIdle();
        _sessions[id] = entry;
        return entry;
    }

    public CrmUserSession? Find(string? id)
    {
        if (id is null || !_sessions.TryGetValue(id, out var entry))
        {
            return null;
        }

        entry.LastSeen = time.GetUtcNow();
        return entry;
    }

    public CrmUserSession? Remove(string? id) => id is not null && _sessions.TryRemove(id, out var entry) ? entry : null;

    /// <summary>The user's access token, refreshed through the store first when it is about to expire.</summary>
    /// <exception cref="CrmAuthException">The refresh was rejected (revoked or expired); the session is dropped.</exception>
    public async Task<string> GetAccessTokenAsync(CrmUserSession entry, CancellationToken cancellationToken)
    {
        if (!IsDue(entry.Session))
        {
            return entry.Session.AccessToken;
        }

        await entry.RefreshLock.WaitAsync(cancellationToken);
        try
        {
            if (IsDue(entry.Session))
            {
                using var crm = backend.Root.WithSession(entry.Session);
                try
                {
                    entry.Session = await crm.Auth.RefreshSessionAsync(cancellationToken);
                }
                catch (CrmException ex) when (ex is CrmAuthException || ex.Status is 400)
                {
                    // Revoked, expired or reused refresh token: this session is over; the user signs in again.
                    Remove(entry.Id);
                    throw new CrmAuthException(new CrmErrorInfo { Status = StatusCodes.Status401Unauthorized, Message = "The session has ended." }, ex);
                }
            }

            return entry.Session.AccessToken;
        }
        finally
        {
            entry.RefreshLock.Release();
        }
    }

    /// <summary>When the current access token stops being usable (for ending long-lived streams in time).</summary>
    public DateTimeOffset UsableUntil(CrmUserSession entry) => entry.Session.ExpiresAt - RefreshAhead;

    private void DropIdle()
    {
        var cutoff = time.GetUtcNow() - IdleLimit;
        foreach (var (id, entry) in _sessions)
        {
            if (entry.LastSeen < cutoff)
            {
                _sessions.TryRemove(id, out _);
            }
        }
    }

    private bool IsDue(Session session) => session.ExpiresAt - RefreshAhead <= time.GetUtcNow();

    private static string Base64UrlId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
