using AutoCrm.Sdk;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Tickets;

/// <summary>
/// Applies a macro from the ticket page's macro menu, as the signed-in agent: the database runs it with their permissions
/// in one transaction, so a refusal (a queue they are not in, a value a field does not take) changes nothing and is shown
/// on the ticket page.
/// </summary>
public sealed class ApplyMacroModel(UserCrm user) : PageModel
{
    [FromRoute]
    public long Number { get; set; }

    public IActionResult OnGet() => Redirect($"/tickets/{Number}");

    public async Task<IActionResult> OnPostAsync([FromForm] Guid ticketId, [FromForm] Guid macroId, CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            await crm.Macros.ApplyAsync(ticketId, macroId, cancellationToken);
            TempData["Notice"] = "Macro applied.";
        }
        catch (CrmException ex) when (ex is not CrmNotFoundException && ex.Status is >= 400 and < 500 and not 401)
        {
            TempData["Error"] = ex.Message;
        }

        return Redirect($"/tickets/{Number}");
    }
}
