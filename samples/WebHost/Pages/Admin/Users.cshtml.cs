using AutoCrm.Sdk;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>Everyone's role (customer, agent, admin), changed through the admin-only <c>set_user_role</c> function.</summary>
public sealed class AdminUsersModel(UserCrm user) : PageModel
{
    public IReadOnlyList<Profile> Profiles { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Profiles = (await (await user.GetAsync(cancellationToken)).Profiles.ListAsync(cancellationToken: cancellationToken).ToListAsync(cancellationToken))
            .OrderBy(p => p.Role).ThenBy(p => p.Email, StringComparer.OrdinalIgnoreCase).ToList();

    public async Task<IActionResult> OnPostAsync([FromForm] Guid userId, [FromForm] UserRole role, CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            await crm.Profiles.SetRoleAsync(userId, role, cancellationToken);
            TempData["Notice"] = "Role changed: the database applies it at once; their menus follow at their next sign-in.";
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500 and not 401)
        {
            TempData["Error"] = ex.Message;
        }

        return Redirect("/admin/users");
    }
}
