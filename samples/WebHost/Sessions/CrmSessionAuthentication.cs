using System.Security.Claims;
using System.Text.Encodings.Web;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AutoCrm.WebHost.Sessions;

/// <summary>
/// Turns the session cookie into a <see cref="ClaimsPrincipal"/> (user id, email, role) so pages can use ordinary
/// <c>[Authorize]</c> policies. The role only chooses which pages to offer: row-level security in the database decides
/// what each request may read or change.
/// </summary>
internal sealed class CrmSessionAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, CrmSessionStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "CrmSession";
    public const string CookieName = "autocrm.sid";
    public const string SessionIdClaim = "autocrm:sid";

    public static void AppendCookie(HttpContext context, string sessionId) =>
        context.Response.Cookies.Append(CookieName, sessionId, CookieOptions(context));

    public static void DeleteCookie(HttpContext context) => context.Response.Cookies.Delete(CookieName, CookieOptions(context));

    public static string RoleName(UserRole role) => role switch
    {
        UserRole.Admin => "admin",
        UserRole.Agent => "agent",
        _ => "customer",
    };

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (store.Find(Request.Cookies[CookieName]) is not { } session)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, session.UserId.ToString()),
                new Claim(ClaimTypes.Name, session.DisplayName),
                new Claim(ClaimTypes.Email, session.Email),
                new Claim(ClaimTypes.Role, RoleName(session.Role)),
                new Claim(SessionIdClaim, session.Id),
            ],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (IsBrowserNavigation(Request))
        {
            var returnUrl = Request.PathBase + Request.Path + Request.QueryString;
            Response.Redirect("/signin?returnUrl=" + Uri.EscapeDataString(returnUrl));
        }
        else
        {
            Response.StatusCode = StatusCodes.Status401Unauthorized;
        }

        return Task.CompletedTask;
    }

    private static bool IsBrowserNavigation(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && !request.Path.StartsWithSegments("/live")
        && !request.Query.ContainsKey("handler")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static CookieOptions CookieOptions(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = "/",
        IsEssential = true,
    };
}
