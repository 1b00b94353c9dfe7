using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>A decoded server → client Phoenix message (both serializers produce this shape).</summary>
internal sealed class PhoenixMessage
{
    public string? JoinRef { get; init; }

    public string? Ref { get; init; }

    public required string Topic { get; init; }

    public required string Event { get; init; }

    private JsonElement _payload;
    private ReadOnlyMemory<byte> _raw;
    private int _parsed;

    /// <summary>The payload; for a kind-4 binary broadcast, <c>{type:"broadcast", event, payload, meta?}</c> as realtime-js builds it.
    /// Parsed on first use when the message was decoded with only its <see cref="RawPayload"/>.</summary>
    public JsonElement Payload
    {
        get
        {
            if (Volatile.Read(ref _parsed) == 0)
            {
                var reader = new Utf8JsonReader(_raw.Span);
                _payload = _raw.IsEmpty ? default : JsonElement.ParseValue(ref reader);
                Volatile.Write(ref _parsed, 1);
            }

            return _payload;
        }

        init
        {
            _payload = value;
            _parsed = 1;
        }
    }

    /// <summary>The payload's UTF-8 JSON, when the serializer kept it unparsed (postgres_changes: routed in one streaming pass).</summary>
    public ReadOnlyMemory<byte> RawPayload
    {
        get => _raw;
        init => _raw = value;
    }

    /// <summary>Raw user payload of a binary broadcast whose encoding byte is 0 (not JSON); otherwise null.</summary>
    public ReadOnlyMemory<byte>? BinaryPayload { get; init; }
}

/// <summary>A client → server Phoenix message before encoding.</summary>
internal sealed record PhoenixPush(string? JoinRef, string? Ref, string Topic, string Event, JsonObject Payload);

/// <summary>One encoded websocket frame.</summary>
internal readonly record struct EncodedFrame(ReadOnlyMemory<byte> Data, bool IsBinary);

/// <summary>Well-known Phoenix and Realtime event names.</summary>
internal static class PhoenixEvents
{
    public const string Join = "phx_join";
    public const string Leave = "phx_leave";
    public const string Reply = "phx_reply";
    public const string Close = "phx_close";
    public const string Error = "phx_error";
    public const string Heartbeat = "heartbeat";
    public const string AccessToken = "access_token";
    public const string PostgresChanges = "postgres_changes";
    public const string Broadcast = "broadcast";
    public const string Presence = "presence";
    public const string PresenceState = "presence_state";
    public const string PresenceDiff = "presence_diff";
    public const string System = "system";
    public const string PhoenixTopic = "phoenix";

    public static bool IsLifecycle(string e) => e is Join or Leave or Reply or Close or Error;
}
