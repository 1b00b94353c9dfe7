using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;

namespace AutoCrm.WebHost.Sessions;

/// <summary>One signed-in browser: the user's CRM session (access and refresh token), kept on the server only.</summary>
public sealed class CrmUserSession
{
    private Session _session;
    private long _lastSeenTicks;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, object> _once = new(StringComparer.Ordinal);

    public CrmUserSession(string id, Guid userId, string email, string displayName, UserRole role, Session session, CrmSessionStore owner)
    {
        Id = id;
        UserId = userId;
        Email = email;
        DisplayName = displayName;
        Role = role;
        _session = session;
        Store = new EntryStore(this, owner);
    }

    /// <summary>The opaque key the browser holds in its cookie; it says nothing about the user.</summary>
    public string Id { get; }

    public Guid UserId { get; }

    public string Email { get; }

    public string DisplayName { get; }

    public UserRole Role { get; }

    /// <summary>The SDK's view of this entry (<c>crm.WithSession(entry.Store)</c>): one store per browser session, so the
    /// SDK refreshes each user's session once however many requests are in flight.</summary>
    public ISessionStore Store { get; }

    /// <summary>When the browser last used this session (for dropping abandoned ones).</summary>
    public DateTimeOffset LastSeen
    {
        get => new(Interlocked.Read(ref _lastSeenTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _lastSeenTicks, value.UtcTicks);
    }

    public Session Session => Volatile.Read(ref _session);

    /// <summary>Keeps a value for this browser's next page only (see <see cref="TakeOnce{T}"/>): what a POST made and a
    /// redirected GET must show once, such as a new webhook secret, stays on the server instead of in a cookie or a URL.</summary>
    public void KeepOnce<T>(string key, T value)
        where T : class => _once[key] = value;

    /// <summary>The value kept under <paramref name="key"/>, removed as it is read: a reload shows nothing.</summary>
    public T? TakeOnce<T>(string key)
        where T : class => _once.TryRemove(key, out var value) ? value as T : null;

    /// <summary>Saves rotated tokens into the entry; clearing (a rejected refresh, a sign-out) ends the browser session for
    /// good: a refresh still in flight when the user signed out cannot bring the tokens back.</summary>
    private sealed class EntryStore(CrmUserSession entry, CrmSessionStore owner) : ISessionStore
    {
        private volatile bool _cleared;

        public ValueTask<Session?> LoadAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(_cleared ? null : entry.Session);

        public ValueTask SaveAsync(Session session, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(session);
            if (!_cleared)
            {
                Volatile.Write(ref entry._session, session);
            }

            return default;
        }

        public ValueTask ClearAsync(CancellationToken cancellationToken = default)
        {
            _cleared = true;
            owner.Remove(entry.Id);
            return default;
        }
    }
}
