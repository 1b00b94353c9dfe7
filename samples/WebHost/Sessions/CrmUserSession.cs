using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;

namespace AutoCrm.WebHost.Sessions;

/// <summary>One signed-in browser: the user's CRM session (access and refresh token), kept on the server only.</summary>
public sealed class CrmUserSession(string id, Guid userId, string email, string displayName, UserRole role, Session session)
{
    private Session _session = session;
    private long _lastSeenTicks;

    /// <summary>The opaque key the browser holds in its cookie; it says nothing about the user.</summary>
    public string Id { get; } = id;

    public Guid UserId { get; } = userId;

    public string Email { get; } = email;

    public string DisplayName { get; } = displayName;

    public UserRole Role { get; } = role;

    /// <summary>Serialises refreshes: with refresh-token rotation two concurrent refreshes would revoke each other.</summary>
    public SemaphoreSlim RefreshLock { get; } = new(1, 1);

    /// <summary>When the browser last used this session (for dropping abandoned ones).</summary>
    public DateTimeOffset LastSeen
    {
        get => new(Interlocked.Read(ref _lastSeenTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _lastSeenTicks, value.UtcTicks);
    }

    public Session Session
    {
        get => Volatile.Read(ref _session);
        set => Volatile.Write(ref _session, value);
    }
}
