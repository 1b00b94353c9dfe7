using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages;

/// <summary>Sends each user to their home: customers to their tickets, staff to the workspace.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() =>
        User.Identity?.IsAuthenticated != true ? Redirect("/signin")
        : User.IsInRole("agent") || User.IsInRole("admin") ? Redirect("/agent")
        : Redirect("/tickets");
}
