namespace AutoCrm.WebHost.Live;

/// <summary>Stand-in while the SDK has no realtime client: the live endpoints exist but answer 503.</summary>
internal static class LiveEndpoints
{
    public static IEndpointRouteBuilder MapLiveEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/live/{**rest}", static () => TypedResults.Problem(
            "Live updates need the SDK's realtime client.", statusCode: StatusCodes.Status503ServiceUnavailable)).RequireAuthorization();
        return app;
    }
}
