using System.Collections.Concurrent;
using System.Security.Cryptography;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.WebHost.Infrastructure;

namespace AutoCrm.WebHost.Sessions;

/// <summary>
/// Server-side CRM sessions keyed by an opaque random id (the only thing in the browser's cookie), so tokens never reach
/// HTML, JavaScript or the cookie jar. Each entry is an <see cref="ISessionStore"/> for the SDK:
/// <c>crm.WithSession(entry.Store)</c> reads the session from it, refreshes it on demand (once, however many requests of
/// the user arrive together) and saves the rotated tokens back; a rejected refresh clears it, which signs the browser
/// out. In memory: a restart signs everyone out, which suits a sample; a farm would keep the entries in a shared cache.
/// </summary>
public sealed class CrmSessionStore(CrmBackend backend, TimeProvider time)
{
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
            id, user.Id, profile.Email ?? user.Email ?? "", profile.DisplayName is { Length: > 0 } name ? name : user.Email ?? "", profile.Role, session, this);
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

    /// <summary>A client acting as this browser's user, on the SDK's session store of the entry.</summary>
    public CrmClient ClientFor(CrmUserSession entry) => backend.Root.WithSession(entry.Store);

    /// <summary>The user's access token, refreshed by the SDK first when it is about to expire.</summary>
    /// <exception cref="CrmAuthException">The refresh was rejected (revoked or expired); the session is dropped.</exception>
    public async Task<string> GetAccessTokenAsync(CrmUserSession entry, CancellationToken cancellationToken)
    {
        using var crm = ClientFor(entry);
        try
        {
            var session = await crm.Auth.GetSessionAsync(cancellationToken);
            return session?.AccessToken ?? throw new CrmAuthException(new CrmErrorInfo { Status = StatusCodes.Status401Unauthorized, Code = "session_missing", Message = "The session has ended." });
        }
        catch (CrmAuthException ex) when (ex.Code != "session_missing")
        {
            // Revoked, expired or reused refresh token: the SDK cleared the entry; the user signs in again.
            throw new CrmAuthException(new CrmErrorInfo { Status = StatusCodes.Status401Unauthorized, Code = ex.Code, Message = "The session has ended." }, ex);
        }
    }

    /// <summary>
    /// When a long-lived stream on the current access token should end: half the SDK's refresh-ahead time before expiry,
    /// so the token still works until then, and the browser's reconnect finds the session due and gets a refreshed one.
    /// </summary>
    public DateTimeOffset UsableUntil(CrmUserSession entry) => entry.Session.ExpiresAt - backend.RefreshAhead / 2;

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

    private static string Base64UrlId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
