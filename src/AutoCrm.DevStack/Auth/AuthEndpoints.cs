namespace AutoCrm.DevStack.Auth;

/// <summary>Registers and maps the DevStack's Auth service (placeholder until the Auth work lands).</summary>
internal static class AuthEndpoints
{
    internal static IServiceCollection AddDevStackAuth(this IServiceCollection services) => services;

    internal static IEndpointRouteBuilder MapDevStackAuth(this IEndpointRouteBuilder app) => app;
}
