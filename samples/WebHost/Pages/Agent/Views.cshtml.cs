using AutoCrm.Sdk;
using AutoCrm.WebHost.Search;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Agent;

/// <summary>Saved views: the live fragment of the workspace's views (re-fetched by live.js when a count changes) and deleting one.</summary>
public sealed class AgentViewsModel(UserCrm user) : PageModel
{
    public IReadOnlyList<SavedViewCount> Views { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Views = await SavedViewCounts.LoadAsync(await user.GetAsync(cancellationToken), user.UserId, User.IsInRole("admin"), cancellationToken);

    /// <summary>The views with their counts, as a fragment.</summary>
    public async Task<IActionResult> OnGetLiveAsync(CancellationToken cancellationToken) =>
        Partial("_SavedViews", await SavedViewCounts.LoadAsync(await user.GetAsync(cancellationToken), user.UserId, User.IsInRole("admin"), cancellationToken));

    public async Task<IActionResult> OnPostDeleteAsync([FromForm] Guid viewId, CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            await crm.Views.DeleteAsync(viewId, cancellationToken);
            TempData["Notice"] = "View deleted.";
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500 and not 401)
        {
            TempData["Error"] = ex.Message;
        }

        return Redirect("/agent");
    }
}
