using System.Text.Json.Nodes;
using AutoCrm.DevStack.Gateway;
using AutoCrm.DevStack.Postgres;
using AutoCrm.DevStack.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoCrm.DevStack.Realtime;

/// <summary>Registers and maps the DevStack's Realtime service (docs/protocols.md#realtime).</summary>
internal static class RealtimeEndpoints
{
    internal static IServiceCollection AddDevStackRealtime(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);

        // In the DevStack these come from the host's services; tests may register their own first.
        services.TryAddSingleton(sp =>
        {
            var connections = sp.GetRequiredService<DatabaseConnections>();
            var keys = sp.GetService<ProjectKeys>();
            var opaque = new Dictionary<string, string>(StringComparer.Ordinal);
            if (keys is not null)
            {
                opaque[keys.PublishableKey] = keys.AnonKey;
                opaque[keys.SecretKey] = keys.ServiceRoleKey;
            }

            return new RealtimeOptions
            {
                AdminConnectionString = connections.AdminConnectionString,
                DataSource = connections.Admin,
                OpaqueKeys = opaque,
                Limits = sp.GetService<RealtimeLimits>() ?? new RealtimeLimits(),
            };
        });
        services.TryAddSingleton<IRealtimeTokenVerifier>(sp =>
            new JwtRealtimeTokenVerifier(sp.GetRequiredService<JwtService>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new RealtimeService(
            sp.GetRequiredService<RealtimeOptions>(),
            sp.GetRequiredService<IRealtimeTokenVerifier>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.TryAddSingleton<ReplicationService>();
        services.AddHostedService(sp => sp.GetRequiredService<ReplicationService>());
        return services;
    }

    internal static IEndpointRouteBuilder MapDevStackRealtime(this IEndpointRouteBuilder app)
    {
        // Close every socket cleanly as soon as the app starts stopping (before Kestrel waits for open requests).
        var lifetime = app.ServiceProvider.GetService<IHostApplicationLifetime>();
        var hub = app.ServiceProvider.GetRequiredService<RealtimeService>().Hub;
        lifetime?.ApplicationStopping.Register(() => hub.CloseAll());
        app.MapGet("/realtime/v1/websocket", AcceptAsync);
        app.MapPost("/realtime/v1/api/broadcast", BroadcastAsync);
        return app;
    }

    /// <summary>Closes every Realtime websocket abruptly; returns how many (DevStackServer.DropRealtimeConnections).</summary>
    internal static int DropConnections(IServiceProvider services) =>
        services.GetRequiredService<RealtimeService>().Hub.DropAll();

    private static async Task<IResult> AcceptAsync(HttpContext context, RealtimeService service)
    {
        var request = context.Request;
        var apiKey = LastValue(request.Query["apikey"]);
        if (string.IsNullOrEmpty(apiKey))
        {
            apiKey = request.Headers["x-api-key"];
        }

        var check = service.Verifier.Verify(MapOpaqueKey(service, apiKey));
        if (!check.IsValid)
        {
            return Error(StatusCodes.Status401Unauthorized, check.Message);
        }

        var serializer = PhoenixSerializer.ForVersion(LastValue(request.Query["vsn"]));
        if (serializer is null)
        {
            return Error(StatusCodes.Status400BadRequest, "Unsupported vsn; use 1.0.0 or 2.0.0");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Error(StatusCodes.Status400BadRequest, "Expected a websocket upgrade");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false });
        var connection = new RealtimeConnection(socket, serializer, check.Token!, service, context.RequestAborted);
        await using (connection)
        {
            await connection.RunAsync();
        }

        return Results.Empty;
    }

    private static async Task<IResult> BroadcastAsync(HttpContext context, RealtimeService service)
    {
        var request = context.Request;
        string? token = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = authorization["Bearer ".Length..].Trim();
        }

        if (string.IsNullOrEmpty(token) || token.StartsWith("sb_", StringComparison.Ordinal))
        {
            token = request.Headers["apikey"].ToString();
        }

        var check = service.Verifier.Verify(MapOpaqueKey(service, token));
        if (!check.IsValid)
        {
            return Error(StatusCodes.Status401Unauthorized, check.Message);
        }

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, "Invalid JSON body: " + ex.Message);
        }

        if (body?["messages"] is not JsonArray messages)
        {
            return Error(StatusCodes.Status400BadRequest, "Body must be {\"messages\":[{\"topic\",\"event\",\"payload\"}]}");
        }

        var valid = new List<(string Topic, bool Private, JsonObject Payload)>();
        foreach (var item in messages)
        {
            var topic = RealtimeJson.ReadString(item?["topic"]);
            var @event = RealtimeJson.ReadString(item?["event"]);
            if (string.IsNullOrEmpty(topic) || @event is null)
            {
                return Error(StatusCodes.Status400BadRequest, "Every message needs a string `topic` and `event`");
            }

            valid.Add((topic.StartsWith("realtime:", StringComparison.Ordinal) ? topic : "realtime:" + topic, RealtimeJson.ReadFlag(item?["private"]), new JsonObject
            {
                ["type"] = "broadcast",
                ["event"] = @event,
                ["payload"] = item!["payload"]?.DeepClone(),
            }));
        }

        // Realtime's BatchBroadcast changeset checks every message's payload against the tenant's
        // max_payload_size_in_kb; one oversized payload makes the whole batch invalid (422, nothing is sent).
        var errors = new JsonArray();
        var tooLarge = false;
        foreach (var item in messages)
        {
            var size = item!["payload"] is { } inner ? PhoenixSerializer.SerializePayload(inner).Length : 0;
            if (size > service.Options.MaxPayloadBytes)
            {
                tooLarge = true;
                RealtimeLog.PayloadTooLarge(service.Logger, "http broadcast", size, service.Options.MaxPayloadBytes);
                errors.Add(new JsonObject { ["payload"] = new JsonArray("Payload size exceeds tenant limit") });
            }
            else
            {
                errors.Add(new JsonObject());
            }
        }

        if (tooLarge)
        {
            return TypedResults.Json(
                new JsonObject { ["errors"] = new JsonObject { ["messages"] = errors } },
                RealtimeJsonContext.Default.JsonObject,
                statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        // A private topic's messages go out only when the caller's token may write broadcasts to it (the broadcast write
        // policy of realtime.messages; service_role bypasses row-level security); otherwise they are dropped, as on Realtime.
        var allowed = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (topic, isPrivate, payload) in valid)
        {
            if (isPrivate)
            {
                if (!allowed.TryGetValue(topic, out var may))
                {
                    var sub = topic["realtime:".Length..];
                    var policies = await service.Authorization.AuthorizeWriteAsync(new ChannelPolicies(), check.Token!, sub, context.RequestAborted);
                    allowed[topic] = may = policies.BroadcastWrite == true;
                    if (!may)
                    {
                        RealtimeLog.PolicyRefused(service.Logger, sub, "http broadcast");
                    }
                }

                if (!may)
                {
                    continue;
                }
            }

            service.Hub.Broadcast(isPrivate ? RealtimeChannel.PrivatePrefix + topic : topic, topic, payload, null, null);
        }

        return TypedResults.Accepted((string?)null);
    }

    /// <summary>
    /// A repeated query key counts with its last value, as Plug decodes the query string for Realtime (realtime-js sends
    /// <c>vsn</c> twice when the app also puts one in <c>params</c>).
    /// </summary>
    internal static string? LastValue(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 0 ? null : values[values.Count - 1];

    private static string? MapOpaqueKey(RealtimeService service, string? key) =>
        key is not null && service.Options.OpaqueKeys.TryGetValue(key, out var jwt) ? jwt : key;

    private static JsonHttpResult<JsonObject> Error(int status, string message) =>
        TypedResults.Json(new JsonObject { ["error"] = message }, RealtimeJsonContext.Default.JsonObject, statusCode: status);
}
