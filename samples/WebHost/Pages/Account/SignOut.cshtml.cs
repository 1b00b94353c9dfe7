using AutoCrm.Sdk;
using AutoCrm.Sdk.Agents;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;
using AutoCrm.WebHost.Infrastructure;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Account;

/// <summary>Signs out on the server (revokes this session's refresh token) and forgets the cookie. An agent is set offline
/// first, as themselves, so automatic queues stop assigning to someone who left.</summary>
public sealed class SignOutModel(CrmSessionStore sessions) : PageModel
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (sessions.Remove(Request.Cookies[CrmSessionAuthentication.CookieName]) is { } entry)
        {
            using var crm = sessions.ClientFor(entry);
            if (entry.Role is UserRole.Agent or UserRole.Admin)
            {
                try
                {
                    await crm.Agents.SetStatusAsync(AgentStatus.Offline, cancellationToken);
                }
                catch (CrmException)
                {
                    // Signing out goes on: the status stays as it was, and the agent or an admin can set it later.
                }
            }

            try
            {
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
