namespace AutoCrm.DevStack.Rest;

/// <summary>Registers and maps the DevStack's Rest service (placeholder until the Rest work lands).</summary>
internal static class RestEndpoints
{
    internal static IServiceCollection AddDevStackRest(this IServiceCollection services) => services;

    internal static IEndpointRouteBuilder MapDevStackRest(this IEndpointRouteBuilder app) => app;
}
