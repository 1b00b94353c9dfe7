namespace AutoCrm.DevStack.Realtime;

/// <summary>Registers and maps the DevStack's Realtime service (placeholder until the Realtime work lands).</summary>
internal static class RealtimeEndpoints
{
    internal static IServiceCollection AddDevStackRealtime(this IServiceCollection services) => services;

    internal static IEndpointRouteBuilder MapDevStackRealtime(this IEndpointRouteBuilder app) => app;
}
