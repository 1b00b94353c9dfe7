using AutoCrm.Sdk;
using AutoCrm.WebHost.Live;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;

namespace AutoCrm.WebHost.Infrastructure;

/// <summary>Service registration and the request pipeline, kept out of Program.cs.</summary>
internal static class WebHostSetup
{
    public const string StaffPolicy = "Staff";
    public const string AdminPolicy = "Admin";

    public static WebApplicationBuilder AddAutoCrmWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<CrmBackend>();
        services.AddHostedService(static sp => sp.GetRequiredService<CrmBackend>());
        services.AddSingleton<CrmSessionStore>();
        services.AddHttpContextAccessor();
        services.AddScoped<UserCrm>();

        services.AddAuthentication(CrmSessionAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CrmSessionAuthentication>(CrmSessionAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(StaffPolicy, p => p.RequireRole("agent", "admin"))
            .AddPolicy(AdminPolicy, p => p.RequireRole("admin"));

        services.AddRazorPages(options =>
        {
            options.Conventions.AuthorizeFolder("/Tickets");
            options.Conventions.AuthorizeFolder("/Agent", StaffPolicy);
            options.Conventions.AuthorizeFolder("/Admin", AdminPolicy);
        });
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "autocrm.af";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddProblemDetails();
        services.AddHealthChecks();
        return builder;
    }

    public static WebApplication UseAutoCrmWeb(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = "/error",
            StatusCodeSelector = ErrorStatus,
        });
        app.UseStatusCodePagesWithReExecute("/error", "?status={0}");
        app.UseMiddleware<SecurityHeaders>();
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthChecks("/healthz");
        app.MapLiveEndpoints();
        app.MapRazorPages();
        return app;
    }

    /// <summary>The HTTP status an exception becomes; the CRM's own status where it has one.</summary>
    public static int ErrorStatus(Exception exception) => exception switch
    {
        CrmNotFoundException => StatusCodes.Status404NotFound,
        CrmAuthException => StatusCodes.Status401Unauthorized,
        CrmForbiddenException => StatusCodes.Status403Forbidden,
        CrmValidationException => StatusCodes.Status400BadRequest,
        CrmConflictException => StatusCodes.Status409Conflict,
        CrmRateLimitedException => StatusCodes.Status429TooManyRequests,
        CrmException { Status: >= 400 and < 500 } crm => crm.Status,
        CrmException => StatusCodes.Status502BadGateway,
        BadHttpRequestException bad => bad.StatusCode,
        _ => StatusCodes.Status500InternalServerError,
    };
}
