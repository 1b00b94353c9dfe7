using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.WebHost.Infrastructure;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Account;

/// <summary>Signs out on the server (revokes this session's refresh token) and forgets the cookie.</summary>
public sealed class SignOutModel(CrmSessionStore sessions) : PageModel
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (sessions.Remove(Request.Cookies[CrmSessionAuthentication.CookieName]) is { } entry)
        {
            try
            {
                using var crm = sessions.ClientFor(entry);
                await crm.Auth.SignOutAsync(SignOutScope.Local, cancellationToken);
            }
            catch (CrmException)
            {
                // The server-side session is already forgotten; a failed revoke only leaves a token that expires on its own.
            }
        }

        CrmSessionAuthentication.DeleteCookie(HttpContext);
        return Redirect("/signin");
    }
}
