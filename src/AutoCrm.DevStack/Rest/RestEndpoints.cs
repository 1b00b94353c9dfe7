using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AutoCrm.DevStack.Rest;

/// <summary>Registers and maps the DevStack's PostgREST-compatible service under <c>/rest/v1</c>.</summary>
internal static class RestEndpoints
{
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"];

    internal static IServiceCollection AddDevStackRest(this IServiceCollection services)
    {
        services.TryAddSingleton(RestEnvironmentFactory.Create);
        services.TryAddSingleton<SchemaCache>();
        services.TryAddSingleton<RestHandler>();
        services.AddHostedService<SchemaCacheListener>();
        return services;
    }

    internal static IEndpointRouteBuilder MapDevStackRest(this IEndpointRouteBuilder app)
    {
        var handler = app.ServiceProvider.GetRequiredService<RestHandler>();
        app.MapMethods("/rest/v1/{**path}", Methods, handler.HandleAsync);
        return app;
    }
}
