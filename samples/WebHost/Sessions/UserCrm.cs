using System.Security.Claims;
using AutoCrm.Sdk;
using AutoCrm.WebHost.Infrastructure;

namespace AutoCrm.WebHost.Sessions;

/// <summary>
/// The signed-in user's CRM client for this request: <see cref="CrmClient.ForUser"/> with the user's own access token,
/// so every call is the user's own and row-level security decides. Scoped: one per request, disposed with it.
/// </summary>
public sealed class UserCrm(CrmBackend backend, CrmSessionStore store, IHttpContextAccessor accessor) : IDisposable
{
    private CrmClient? _client;

    /// <summary>The current user's server-side session.</summary>
    /// <exception cref="CrmAuthException">Nobody is signed in.</exception>
    public CrmUserSession Session =>
        store.Find(accessor.HttpContext?.User.FindFirstValue(CrmSessionAuthentication.SessionIdClaim))
        ?? throw new CrmAuthException("Sign in first.");

    public Guid UserId => Session.UserId;

    public async ValueTask<CrmClient> GetAsync(CancellationToken cancellationToken)
    {
        if (_client is null)
        {
            var token = await store.GetAccessTokenAsync(Session, cancellationToken);
            _client = backend.Root.ForUser(token);
        }

        return _client;
    }

    public void Dispose() => _client?.Dispose();
}
