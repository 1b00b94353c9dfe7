using Npgsql;

namespace AutoCrm.DevStack.Auth;

/// <summary>Registers and maps the DevStack's Auth service: a GoTrue subset under <c>/auth/v1</c> (docs/protocols.md#auth).</summary>
internal static class AuthEndpoints
{
    internal static IServiceCollection AddDevStackAuth(this IServiceCollection services)
    {
        services.AddSingleton<AuthStore>();
        services.AddSingleton<AuthTokenIssuer>();
        services.AddSingleton<AuthService>();
        services.AddSingleton<AuthRateLimiter>();
        return services;
    }

    internal static IEndpointRouteBuilder MapDevStackAuth(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth/v1");
        auth.MapGet("/health", Handle((_, context) => AuthService.HealthAsync(context)));
        auth.MapGet("/.well-known/jwks.json", Handle((_, context) => AuthService.JwksAsync(context)));
        auth.MapGet("/settings", Handle((service, context) => service.SettingsAsync(context)));
        auth.MapPost("/signup", Handle((service, context) => service.SignupAsync(context)));
        auth.MapPost("/token", Handle((service, context) => service.TokenAsync(context)));
        auth.MapGet("/user", Handle((service, context) => service.GetUserAsync(context)));
        auth.MapPut("/user", Handle((service, context) => service.UpdateUserAsync(context)));
        auth.MapPost("/logout", Handle((service, context) => service.LogoutAsync(context)));
        auth.MapGet("/admin/users", Handle((service, context) => service.AdminListUsersAsync(context)));
        auth.MapPost("/admin/users", Handle((service, context) => service.AdminCreateUserAsync(context)));
        auth.MapGet("/admin/users/{user_id}", Handle((service, context) => service.AdminGetUserAsync(context)));
        auth.MapPut("/admin/users/{user_id}", Handle((service, context) => service.AdminUpdateUserAsync(context)));
        auth.MapDelete("/admin/users/{user_id}", Handle((service, context) => service.AdminDeleteUserAsync(context)));
        return app;
    }

    /// <summary>Runs a handler and turns every failure into a GoTrue error response; never lets an exception escape as a bare 500.</summary>
    private static RequestDelegate Handle(Func<AuthService, HttpContext, Task> handler) => async context =>
    {
        var service = context.RequestServices.GetRequiredService<AuthService>();
        var logger = context.RequestServices.GetRequiredService<ILogger<AuthService>>();
        try
        {
            await handler(service, context);
        }
        catch (AuthApiException ex)
        {
            AuthLog.RequestRefused(logger, ex.Status, ex.ErrorCode);
            await AuthResponses.WriteErrorAsync(context, ex);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // A data exception (a value too long for its column, a NUL character, a number out of range) is bad input, not a crash.
            AuthLog.RequestRefused(logger, StatusCodes.Status400BadRequest, AuthErrorCodes.ValidationFailed);
            await AuthResponses.WriteErrorAsync(context, AuthApiException.BadRequest(AuthErrorCodes.ValidationFailed, "Invalid input: " + ex.MessageText));
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel refused the body (too large, malformed chunking, client timeout).
            var error = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? new AuthApiException(StatusCodes.Status413PayloadTooLarge, AuthErrorCodes.ValidationFailed, "Request body too large")
                : AuthApiException.BadJson("could not read the request body");
            await AuthResponses.WriteErrorAsync(context, error);
        }
#pragma warning disable CA1031 // The last line of defence: an unexpected failure is reported as GoTrue's 500, not a crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            AuthLog.UnexpectedFailure(logger, ex, context.Request.Method, context.Request.Path);
            await AuthResponses.WriteErrorAsync(
                context,
                new AuthApiException(StatusCodes.Status500InternalServerError, AuthErrorCodes.UnexpectedFailure, "Unexpected failure, please check server logs for more information"));
        }
    };
}
