namespace AutoCrm.WebHost.Infrastructure;

/// <summary>
/// A strict Content-Security-Policy: scripts and styles only from this origin (no inline code), no framing, forms and
/// fetches only to this origin. The pages are written to need nothing more.
/// </summary>
internal sealed class SecurityHeaders(RequestDelegate next)
{
    private const string Policy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpContext)state).Response.Headers;
            headers.ContentSecurityPolicy = Policy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            headers.XFrameOptions = "DENY";
            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
