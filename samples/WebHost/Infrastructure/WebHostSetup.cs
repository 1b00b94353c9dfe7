using AutoCrm.Sdk;
using AutoCrm.WebHost.Live;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace AutoCrm.WebHost.Infrastructure;

/// <summary>Service registration and the request pipeline, kept out of Program.cs.</summary>
internal static class WebHostSetup
{
    public const string StaffPolicy = "Staff";
    public const string AdminPolicy = "Admin";

    /// <summary>
    /// Registers the app. The CRM client comes from <c>AddAutoCrm</c> like in any ASP.NET Core app, bound to the
    /// <c>AutoCrm</c> section; with no <c>AutoCrm:Url</c> an embedded DevStack is started first (demo mode) and the client
    /// points at it. The root client never signs in: each browser session gets <c>WithSession(its store)</c>.
    /// </summary>
    public static async Task<WebApplicationBuilder> AddAutoCrmWebAsync(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        EmbeddedDevStack? embedded = null;
        if (builder.Configuration["AutoCrm:Url"] is not { Length: > 0 })
        {
            // The host's logging does not exist yet: the DevStack gets its own console logging, with the same settings.
            var loggers = LoggerFactory.Create(logging => logging.AddConfiguration(builder.Configuration.GetSection("Logging")).AddConsole());
            // Every browser signs in through this host, so the DevStack sees one client address: its sign-in rate limit
            // is a limit for the whole demo. On by default; AutoCrm:DevStack:AuthRateLimits=false turns it off (the
            // browser tests, which sign in far more often than people do).
            var rateLimits = builder.Configuration.GetValue("AutoCrm:DevStack:AuthRateLimits", defaultValue: true);
            embedded = new EmbeddedDevStack(
                await StartDetachedAsync(new DevStack.DevStackOptions { LoggerFactory = loggers, EnforceAuthRateLimits = rateLimits }),
                loggers);
            services.AddSingleton(_ => embedded);
        }

        services.AddSingleton(TimeProvider.System);
        services.AddAutoCrm(builder.Configuration.GetSection("AutoCrm"), options =>
        {
            // Sessions are refreshed on demand by the per-user clients; the root has no session to keep alive.
            options.AutoRefreshToken = false;
            if (embedded is not null)
            {
                options.Url = embedded.Server.Url;
                options.ApiKey = embedded.Server.AnonKey;
            }
        });
        services.AddSingleton(sp => new CrmBackend(
            sp.GetRequiredService<CrmClient>(), sp.GetRequiredService<IOptions<CrmClientOptions>>().Value.RefreshAhead, sp.GetService<EmbeddedDevStack>()));
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
        services.AddAutoCrmHealthChecks();
        services.AddConfiguredChatClient(builder.Configuration.GetSection("AutoCrm:AI"));
        return builder;
    }

    /// <summary>
    /// Starts the DevStack without this app's execution context. The DevStack builds a host of its own; tools that find an
    /// app's host by listening for the first host built in the entry point's async flow (WebApplicationFactory, the EF
    /// Core tools) would otherwise take the DevStack's host for the app's.
    /// </summary>
    private static Task<DevStack.DevStackServer> StartDetachedAsync(DevStack.DevStackOptions options)
    {
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(() => DevStack.DevStackServer.StartAsync(options));
        }
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
        app.MapAutoCrmHealthChecks();
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
