using AutoCrm.Sdk;
using AutoCrm.Sdk.Agents;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;

namespace AutoCrm.WebHost.Routing;

/// <summary>What the header's status toggle renders: the agent's status (null when it could not be read) and the page to
/// come back to.</summary>
public sealed record AgentStatusToggle(AgentStatus? Status, string ReturnUrl);

/// <summary>
/// The agent's availability in the header (staff only): the current status and a form that sets it through
/// <c>/agent/status</c> as the agent. Only online agents receive tickets from automatic queues.
/// </summary>
public sealed class AgentStatusViewComponent(UserCrm user) : ViewComponent
{
    public async Task<IViewComponentResult> InvokeAsync()
    {
        AgentStatus? status;
        try
        {
            var crm = await user.GetAsync(HttpContext.RequestAborted);
            status = (await crm.Agents.GetMyStateAsync(HttpContext.RequestAborted)).Status;
        }
        catch (CrmException)
        {
            // The header must not break every page when the status cannot be read; the toggle still works.
            status = null;
        }

        return View(new AgentStatusToggle(status, HttpContext.Request.Path + HttpContext.Request.QueryString));
    }
}
