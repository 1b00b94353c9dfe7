using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;

namespace AutoCrm.WebHost.Automation;

/// <summary>What the macro menu renders: the ticket and the macros the agent may apply (shared ones and their own).</summary>
public sealed record MacroMenu(Ticket Ticket, IReadOnlyList<Macro> Macros);

/// <summary>
/// The macro menu of the agent's ticket page: the macros row-level security lets the agent read, each applied through
/// <c>/tickets/{number}/macro</c> as the agent (<c>apply_macro</c> runs with their permissions).
/// </summary>
public sealed class MacroMenuViewComponent(UserCrm user) : ViewComponent
{
    public async Task<IViewComponentResult> InvokeAsync(Ticket ticket)
    {
        var crm = await user.GetAsync(HttpContext.RequestAborted);
        IReadOnlyList<Macro> macros;
        try
        {
            macros = await crm.Macros.ListAsync(HttpContext.RequestAborted).ToListAsync(HttpContext.RequestAborted);
        }
        catch (CrmForbiddenException)
        {
            macros = [];
        }

        return View(new MacroMenu(ticket, macros));
    }
}
