using System.ComponentModel.DataAnnotations;
using AutoCrm.Sdk;
using AutoCrm.WebHost.Infrastructure;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Account;

/// <summary>Password sign-in through the SDK; the session stays on the server, the browser gets an opaque cookie.</summary>
public sealed class SignInModel(CrmBackend backend, CrmSessionStore sessions) : PageModel
{
    [BindProperty, Required, EmailAddress]
    public string Email { get; set; } = "";

    [BindProperty, Required]
    public string Password { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public IReadOnlyList<(string Email, string Role)>? DemoAccounts => backend.IsEmbedded ? CrmBackend.DemoAccounts : null;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            Error = "Enter your email and password.";
            return Page();
        }

        try
        {
            using var crm = backend.CreateSignInClient();
            var session = await crm.Auth.SignInWithPasswordAsync(Email, Password, cancellationToken);
            var entry = await sessions.AddAsync(session, cancellationToken);
            CrmSessionAuthentication.AppendCookie(HttpContext, entry.Id);
        }
        catch (CrmAuthException)
        {
            Error = "Wrong email or password.";
            return Page();
        }
        catch (CrmException ex) when (ex.Status is 400 or 422)
        {
            Error = "Wrong email or password.";
            return Page();
        }

        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }
}
