using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace AutoCrm.DevStack.Gateway;

/// <summary>
/// What the platform gateway does in front of REST, Auth and Realtime: CORS (docs/protocols.md#cors, including
/// preflights) for the origins of <see cref="DevStackSettings.CorsOrigins"/> (others are refused: docs/devstack.md#cors),
/// the <c>apikey</c> check of the hosted platform (docs/protocols.md#url-layout) and the <c>sb_</c> key mapping
/// (docs/protocols.md#project-keys).
/// With <see cref="DevStackSettings.RequireApiKey"/> off, a request without an apikey goes on as anon, as through the
/// Supabase CLI's local gateway, which checks no key.
/// </summary>
internal sealed partial class GatewayMiddleware(RequestDelegate next, ProjectKeys keys, ILogger<GatewayMiddleware> logger, DevStackSettings? settings = null)
{
    private readonly bool requireApiKey = settings?.RequireApiKey ?? true;

    private readonly CorsPolicy cors = new((settings ?? DevStackSettings.Default).CorsOrigins);

    internal const string ExposedHeaders =
        "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit, X-Total-Count, Link, X-Supabase-Api-Version, x-sb-error-code";

    internal const string AllowedMethods = "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD";

    private static readonly string[] ServicePrefixes = ["/rest/v1", "/auth/v1", "/realtime/v1"];

    // GoTrue routes the gateway leaves open (Kong's auth-v1-open routes) plus the health check.
    private static readonly string[] OpenPaths = ["/auth/v1/health", "/auth/v1/verify", "/auth/v1/callback", "/auth/v1/authorize"];

    private const string WebSocketPath = "/realtime/v1/websocket";

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            if (!cors.Allows(origin))
            {
                // Not even a preflight answer: the browser refuses the call, and a websocket (which CORS does not
                // cover) is not opened.
                Log.OriginRefused(logger, origin, request.Path.Value ?? string.Empty);
                await RefuseOriginAsync(context);
                return;
            }

            response.Headers.AccessControlAllowOrigin = cors.AllowsAny ? "*" : origin;
            response.Headers.AccessControlExposeHeaders = ExposedHeaders;
            if (!cors.AllowsAny)
            {
                response.Headers.Vary = "Origin";
            }
        }

        if (HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.Headers.AccessControlAllowMethods = AllowedMethods;
            var requested = request.Headers.AccessControlRequestHeaders;
            response.Headers.AccessControlAllowHeaders = StringValues.IsNullOrEmpty(requested) ? "*" : requested;
            response.Headers.AccessControlMaxAge = "86400";
            return;
        }

        var path = request.Path;
        if (!IsServicePath(path) || IsOpenPath(path))
        {
            await next(context);
            return;
        }

        var isWebSocketPath = path.StartsWithSegments(WebSocketPath, StringComparison.OrdinalIgnoreCase);
        string? apiKey = request.Headers["apikey"].FirstOrDefault();
        var fromQuery = false;
        if (string.IsNullOrEmpty(apiKey) && isWebSocketPath && request.Query.TryGetValue("apikey", out var queryKey))
        {
            apiKey = queryKey.FirstOrDefault();
            fromQuery = true;
        }

        if (string.IsNullOrEmpty(apiKey) && !requireApiKey)
        {
            await next(context);
            return;
        }

        if (string.IsNullOrEmpty(apiKey))
        {
            Log.MissingApiKey(logger, path.Value ?? string.Empty);
            await RejectAsync(context, "No API key found in request", "No `apikey` request header or url param was found.");
            return;
        }

        var jwt = keys.Resolve(apiKey);
        if (jwt is null)
        {
            Log.InvalidApiKey(logger, path.Value ?? string.Empty);
            await RejectAsync(context, "Invalid API key", "Double check your Supabase `anon` or `service_role` API key.");
            return;
        }

        if (jwt != apiKey)
        {
            // An opaque sb_ key: downstream services only understand the JWT it stands for.
            if (fromQuery)
            {
                var query = request.Query.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                query["apikey"] = jwt;
                request.QueryString = QueryString.Create(query);
            }
            else
            {
                request.Headers["apikey"] = jwt;
            }

            var authorization = request.Headers.Authorization.FirstOrDefault();
            if (string.IsNullOrEmpty(authorization) || authorization.StartsWith("Bearer sb_", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Authorization = "Bearer " + jwt;
            }
        }

        await next(context);
    }

    private static bool IsServicePath(PathString path)
    {
        foreach (var prefix in ServicePrefixes)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsOpenPath(PathString path)
    {
        foreach (var open in OpenPaths)
        {
            if (path.StartsWithSegments(open, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task RefuseOriginAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("message", "Origin not allowed");
        writer.WriteString("hint", "Add the web page's origin to the DevStack's CORS origins (--cors-origins, DevStackOptions.CorsOrigins).");
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    private static async Task RejectAsync(HttpContext context, string message, string hint)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("message", message);
        writer.WriteString("hint", hint);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    private static partial class Log
    {
        [LoggerMessage(1201, LogLevel.Debug, "Refused {Path}: no API key")]
        public static partial void MissingApiKey(ILogger logger, string path);

        [LoggerMessage(1202, LogLevel.Debug, "Refused {Path}: invalid API key")]
        public static partial void InvalidApiKey(ILogger logger, string path);

        [LoggerMessage(1203, LogLevel.Information, "Refused {Path}: origin {Origin} is not allowed")]
        public static partial void OriginRefused(ILogger logger, string origin, string path);
    }
}
