using AutoCrm.Sdk;
using AutoCrm.Sdk.Agents;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Agent;

/// <summary>Sets the signed-in agent's availability (the header's toggle) and goes back to the page it came from. The
/// database decides who may (<c>set_agent_status</c>: agents and admins, their own); the folder is staff-only.</summary>
public sealed class AgentStatusModel(UserCrm user) : PageModel
{
    public IActionResult OnGet() => Redirect("/agent");

    public async Task<IActionResult> OnPostAsync([FromForm] string? status, [FromForm] string? returnUrl, CancellationToken cancellationToken)
    {
        var back = returnUrl is { Length: > 0 } && Url.IsLocalUrl(returnUrl) ? returnUrl : "/agent";
        if (!Enum.TryParse<AgentStatus>(status, ignoreCase: true, out var chosen) || !Enum.IsDefined(chosen))
        {
            TempData["Error"] = "Choose online, away or offline.";
            return Redirect(back);
        }

        try
        {
            var crm = await user.GetAsync(cancellationToken);
            var state = await crm.Agents.SetStatusAsync(chosen, cancellationToken);
            TempData["Notice"] = $"You are {state.Status.ToString().ToLowerInvariant()}" + (state.Status == AgentStatus.Online ? ": automatic queues assign tickets to you." : ".");
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500 and not 401)
        {
            TempData["Error"] = ex.Message;
        }

        return Redirect(back);
    }
}
