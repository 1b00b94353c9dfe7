using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.WebHost.Infrastructure;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Account;

/// <summary>Self-service sign-up: new accounts are customers (the database's profile trigger decides that).</summary>
public sealed class SignUpModel(CrmBackend backend, CrmSessionStore sessions) : PageModel
{
    [BindProperty, Required, StringLength(100)]
    public string DisplayName { get; set; } = "";

    [BindProperty, Required, EmailAddress]
    public string Email { get; set; } = "";

    [BindProperty, Required, MinLength(6)]
    public string Password { get; set; } = "";

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            Error = "Enter a name, a valid email and a password of at least 6 characters.";
            return Page();
        }

        try
        {
            using var crm = backend.CreateSignInClient();
            var response = await crm.Auth.SignUpAsync(Email, Password, CrmMetadata.From(new JsonObject { ["display_name"] = DisplayName }), cancellationToken);
            if (response.Session is not { } session)
            {
                TempData["Notice"] = "Check your email to confirm the account, then sign in.";
                return Redirect("/signin");
            }

            var entry = await sessions.AddAsync(session, cancellationToken);
            CrmSessionAuthentication.AppendCookie(HttpContext, entry.Id);
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500)
        {
            Error = ex.Message;
            return Page();
        }

        return Redirect("/tickets");
    }
}
