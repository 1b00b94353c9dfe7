using AutoCrm.Sdk;
using AutoCrm.Sdk.Profiles;

namespace AutoCrm.WebHost.Pages;

/// <summary>
/// The profiles a page shows names for: the staff (agents and admins, a few hundred at most), plus named users. Pages never
/// list every profile: with a large customer base that is tens of thousands of rows, a hundred page requests for
/// every page view.
/// </summary>
internal static class StaffProfiles
{
    public static async Task<IReadOnlyList<Profile>> ListAsync(CrmClient crm, CancellationToken cancellationToken) =>
    [
        .. await crm.Profiles.ListAsync(UserRole.Agent, cancellationToken).ToListAsync(cancellationToken),
        .. await crm.Profiles.ListAsync(UserRole.Admin, cancellationToken).ToListAsync(cancellationToken),
    ];

    /// <summary>The staff and <paramref name="others"/> by id (an id that is not visible to the caller is left out).</summary>
    public static async Task<IReadOnlyList<Profile>> WithAsync(CrmClient crm, IEnumerable<Guid> others, CancellationToken cancellationToken)
    {
        var staff = await ListAsync(crm, cancellationToken);
        var known = staff.Select(p => p.Id).ToHashSet();
        var profiles = staff.ToList();
        foreach (var id in others.Distinct().Where(id => !known.Contains(id)))
        {
            try
            {
                profiles.Add(await crm.Profiles.GetAsync(id, cancellationToken));
            }
            catch (CrmNotFoundException)
            {
                // Not visible to this caller: the page shows "someone".
            }
        }

        return profiles;
    }

    public static Dictionary<Guid, string> Names(IEnumerable<Profile> profiles) =>
        profiles.DistinctBy(p => p.Id).ToDictionary(p => p.Id, p => p.DisplayName is { Length: > 0 } n ? n : p.Email ?? "someone");
}
