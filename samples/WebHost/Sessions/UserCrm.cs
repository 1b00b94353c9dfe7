using System.Security.Claims;
using AutoCrm.Sdk;

namespace AutoCrm.WebHost.Sessions;

/// <summary>
/// The signed-in user's CRM client for this request: <c>crm.WithSession(entry.Store)</c>, so every call is the user's own
/// (row-level security decides) and a due token is refreshed by the SDK on the way. Scoped: one per request, disposed with it.
/// </summary>
public sealed class UserCrm(CrmSessionStore store, IHttpContextAccessor accessor) : IDisposable
{
    private CrmClient? _client;

    /// <summary>The current user's server-side session.</summary>
    /// <exception cref="CrmAuthException">Nobody is signed in.</exception>
    public CrmUserSession Session =>
        store.Find(accessor.HttpContext?.User.FindFirstValue(CrmSessionAuthentication.SessionIdClaim))
        ?? throw new CrmAuthException("Sign in first.");

    public Guid UserId => Session.UserId;

    /// <summary>The user's client (a value task for the pages that await it; nothing is sent here).</summary>
    /// <param name="cancellationToken">Unused: the client connects lazily.</param>
    /// <returns>The client.</returns>
    public ValueTask<CrmClient> GetAsync(CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        return ValueTask.FromResult(_client ??= store.ClientFor(Session));
    }

    public void Dispose() => _client?.Dispose();
}
