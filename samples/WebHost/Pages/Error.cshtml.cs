using AutoCrm.Sdk;
using AutoCrm.WebHost.Infrastructure;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages;

/// <summary>
/// Every error ends here (re-executed by the exception handler and status-code pages): a friendly page for browsers,
/// <see cref="ProblemDetails"/> for everything else. Never a stack trace.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class ErrorModel(IProblemDetailsService problems, CrmSessionStore sessions) : PageModel
{
    public int Status { get; private set; }

    public string Title { get; private set; } = "";

    public string Detail { get; private set; } = "";

    public Task<IActionResult> OnGetAsync(int? status) => RenderAsync(status);

    public Task<IActionResult> OnPostAsync(int? status) => RenderAsync(status);

    private async Task<IActionResult> RenderAsync(int? status)
    {
        var error = HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
        Status = status ?? (error is null ? StatusCodes.Status404NotFound : WebHostSetup.ErrorStatus(error));
        (Title, Detail) = Describe(Status, error);
        if (Status == StatusCodes.Status401Unauthorized)
        {
            // The refresh was rejected: the server-side session is gone, so the cookie is useless too.
            sessions.Remove(Request.Cookies[CrmSessionAuthentication.CookieName]);
            CrmSessionAuthentication.DeleteCookie(HttpContext);
        }

        Response.StatusCode = Status;
        if (!WantsHtml(Request))
        {
            var problem = new ProblemDetails { Status = Status, Title = Title, Detail = Detail };
            if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = HttpContext, ProblemDetails = problem, Exception = error }))
            {
                // No writer for what the client accepts (e.g. text/event-stream): JSON anyway, it is only an error body.
                await Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", HttpContext.RequestAborted);
            }

            return new EmptyResult();
        }

        return Page();
    }

    private static (string Title, string Detail) Describe(int status, Exception? error) => status switch
    {
        401 => ("Please sign in again", "Your session has ended."),
        403 => ("Not allowed", error is CrmException crm ? crm.Message : "Your account may not open this page."),
        404 => ("Not found", "There is nothing here, or you may not see it."),
        409 => ("Changed in the meantime", "Someone else changed this first. Reload and try again."),
        429 => ("Too many requests", "Please wait a moment and try again."),
        502 => ("The CRM is unavailable", "The CRM did not answer as expected. Try again shortly."),
        >= 400 and < 500 => ("That did not work", error is CrmException crm ? crm.Message : "The request was not valid."),
        _ => ("Something went wrong", "The error was logged. Try again shortly."),
    };

    private static bool WantsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
