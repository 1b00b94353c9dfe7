using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Profiles;

/// <summary>
/// The application profiles of users (<c>public.profiles</c>: display name, role, metadata) as the caller may see them,
/// and (for admins) their roles. Get it from <see cref="CrmClient.Profiles"/>. Accounts themselves (e-mail, password)
/// are <see cref="Auth.AuthClient"/>'s.
/// </summary>
public class ProfilesClient
{
    private const int PageSize = 100;
    private readonly RestClient _rest = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected ProfilesClient()
    {
    }

    internal ProfilesClient(RestClient rest) => _rest = rest;

    /// <summary>Lists the profiles visible to the caller (agents and admins see everyone; a customer sees their own), oldest
    /// first, optionally of one role. <see cref="CrmPage{T}.TotalCount"/> is the server's estimate (exact for small projects).</summary>
    /// <param name="role">Only this role.</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing.</returns>
    public virtual CrmPageable<Profile> ListAsync(UserRole? role = null, CancellationToken cancellationToken = default)
    {
        var query = _rest.From("profiles");
        if (role is { } r)
        {
            query = query.Eq("role", r);
        }

        return new RestListing<Profile>(
            query,
            new KeysetOrder("created_at", "id", Descending: false),
            PageSize,
            CrmJsonContext.Default.Profile,
            static p => (RestText.FormatTimestamp(p.CreatedAt), p.Id.ToString("D")),
            RestCount.Estimated,
            cancellationToken);
    }

    /// <summary>Reads one user's profile.</summary>
    /// <param name="userId">The user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The profile.</returns>
    /// <exception cref="CrmNotFoundException">No such profile, or not visible to the caller.</exception>
    public virtual async Task<Profile> GetAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Profiles.Get");
        try
        {
            return await GetCoreAsync(userId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a user's application role (<c>set_user_role</c>; admins only). Retried safely.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="role">The new role.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The profile with its new role.</returns>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<Profile> SetRoleAsync(Guid userId, UserRole role, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Profiles.SetRole");
        try
        {
            var rows = await _rest.Rpc("set_user_role", new JsonObject { ["user_id"] = userId, ["role"] = EnumText.Get(role) }).AsIdempotent()
                .ToListAsync(CrmJsonContext.Default.Profile, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : await GetCoreAsync(userId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private async Task<Profile> GetCoreAsync(Guid userId, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.From("profiles").Eq("id", userId).SingleAsync(CrmJsonContext.Default.Profile, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw CrmErrors.NotFound($"The profile of user {userId}", ex);
        }
    }
}
