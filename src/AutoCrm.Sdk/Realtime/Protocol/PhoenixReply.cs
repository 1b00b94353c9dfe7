using System.Text.Json;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>A <c>phx_reply</c>: <c>{"status": ..., "response": ...}</c>.</summary>
internal readonly record struct PhoenixReply(string Status, JsonElement Response)
{
    public bool IsOk => Status == "ok";

    public static PhoenixReply From(JsonElement payload)
    {
        var status = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString() ?? "error"
            : "error";
        var response = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("response", out var r) ? r : default;
        return new PhoenixReply(status, response);
    }

    /// <summary>The <c>reason</c> of an error reply, or the status.</summary>
    public string Reason =>
        Response.ValueKind == JsonValueKind.Object && Response.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
            ? reason.GetString() ?? Status
            : Status;
}

/// <summary>A push got no reply in time, or the socket dropped before it did.</summary>
internal sealed class PhoenixPushException(string message, bool isTimeout) : Exception(message)
{
    public bool IsTimeout { get; } = isTimeout;
}
