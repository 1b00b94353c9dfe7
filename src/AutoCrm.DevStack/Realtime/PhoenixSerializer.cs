using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoCrm.DevStack.Realtime;

/// <summary>An encoded server frame, ready for <see cref="WebSocket.SendAsync(ArraySegment{byte}, WebSocketMessageType, bool, CancellationToken)"/>.</summary>
internal readonly record struct OutboundFrame(byte[] Data, WebSocketMessageType Type, WebSocketCloseStatus CloseStatus = WebSocketCloseStatus.NormalClosure);

/// <summary>
/// The Phoenix serializers realtime-js speaks: vsn 1.0.0 (JSON objects) and vsn 2.0.0 (JSON arrays plus the
/// binary user-broadcast frames, kind 3 in and kind 4 out). docs/protocols.md#framing.
/// </summary>
internal abstract class PhoenixSerializer
{
    private const byte UserBroadcastPushKind = 3;
    private const byte UserBroadcastKind = 4;

    public static PhoenixSerializer V1 { get; } = new V1Serializer();

    public static PhoenixSerializer V2 { get; } = new V2Serializer();

    public abstract string Version { get; }

    /// <summary>The serializer for a <c>vsn</c> query value; null for versions this server does not speak.</summary>
    public static PhoenixSerializer? ForVersion(string? vsn) => vsn switch
    {
        null or "" or "1.0.0" => V1,
        "2.0.0" => V2,
        _ => null,
    };

    public abstract PhoenixMessage Decode(ReadOnlySpan<byte> data, WebSocketMessageType type);

    /// <summary>Encodes a message whose payload is already serialized JSON (so one payload can be fanned out cheaply).</summary>
    public abstract OutboundFrame EncodeRaw(string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payloadJson);

    /// <summary>
    /// Encodes a postgres_changes frame <c>{"ids": [...], "data": dataJson}</c> in one pass (the dispatcher's fan-out
    /// path: the data is serialized once per role, only this wrapper per channel).
    /// </summary>
    public OutboundFrame EncodeChange(string? joinRef, string topic, IReadOnlyList<int> ids, byte[] dataJson)
    {
        var buffer = new ArrayBufferWriter<byte>(dataJson.Length + topic.Length + 96 + (ids.Count * 12));
        using (var writer = new Utf8JsonWriter(buffer, FrameWriterOptions))
        {
            WriteHeader(writer, joinRef, null, topic, "postgres_changes");
            writer.WriteStartObject();
            writer.WriteStartArray("ids");
            foreach (var id in ids)
            {
                writer.WriteNumberValue(id);
            }

            writer.WriteEndArray();
            writer.WritePropertyName("data");
            writer.WriteRawValue(dataJson, skipInputValidation: true);
            writer.WriteEndObject();
            WriteTrailer(writer, null);
        }

        return new OutboundFrame(buffer.WrittenSpan.ToArray(), WebSocketMessageType.Text);
    }

    private static JsonWriterOptions FrameWriterOptions { get; } = new() { SkipValidation = true, Encoder = RealtimeJson.WriterOptions.Encoder };

    /// <summary>Writes the frame up to (not including) the payload value.</summary>
    private protected abstract void WriteHeader(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event);

    /// <summary>Writes the frame after the payload value.</summary>
    private protected abstract void WriteTrailer(Utf8JsonWriter writer, string? @ref);

    public OutboundFrame Encode(string? joinRef, string? @ref, string topic, string @event, JsonNode? payload) =>
        EncodeRaw(joinRef, @ref, topic, @event, SerializePayload(payload));

    /// <summary>A user broadcast whose payload is raw bytes (v2 sends it as binary kind 4).</summary>
    public abstract OutboundFrame EncodeBinaryBroadcast(string topic, string userEvent, byte[] payload);

    public static byte[] SerializePayload(JsonNode? payload) => RealtimeJson.Serialize(payload);

    private static string? ReadRef(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => throw new PhoenixFrameException($"`{field}` must be a string or null"),
    };

    private static string ReadString(JsonNode? node, string field) =>
        node is JsonValue v && v.TryGetValue(out string? s) ? s : throw new PhoenixFrameException($"`{field}` must be a string");

    private static JsonNode ParseJson(ReadOnlySpan<byte> data)
    {
        try
        {
            return JsonNode.Parse(data, documentOptions: new JsonDocumentOptions { MaxDepth = 64 })
                ?? throw new PhoenixFrameException("the frame is JSON null");
        }
        catch (JsonException ex)
        {
            throw new PhoenixFrameException("the frame is not valid JSON: " + ex.Message);
        }
    }

    private static void WriteNullableString(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    private sealed class V1Serializer : PhoenixSerializer
    {
        public override string Version => "1.0.0";

        public override PhoenixMessage Decode(ReadOnlySpan<byte> data, WebSocketMessageType type)
        {
            if (type != WebSocketMessageType.Text)
            {
                throw new PhoenixFrameException("vsn 1.0.0 accepts text frames only");
            }

            if (ParseJson(data) is not JsonObject obj)
            {
                throw new PhoenixFrameException("a vsn 1.0.0 frame must be a JSON object");
            }

            return new PhoenixMessage(
                ReadRef(obj["join_ref"], "join_ref"),
                ReadRef(obj["ref"], "ref"),
                ReadString(obj["topic"], "topic"),
                ReadString(obj["event"], "event"),
                obj["payload"]?.DeepClone());
        }

        public override OutboundFrame EncodeRaw(string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payloadJson)
        {
            var buffer = new ArrayBufferWriter<byte>(payloadJson.Length + topic.Length + 64);
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = RealtimeJson.WriterOptions.Encoder }))
            {
                writer.WriteStartObject();
                writer.WriteString("topic", topic);
                writer.WriteString("event", @event);
                writer.WritePropertyName("payload");
                writer.WriteRawValue(payloadJson, skipInputValidation: true);
                writer.WritePropertyName("ref");
                WriteNullableString(writer, @ref);
                writer.WriteEndObject();
            }

            // V1 server frames never carry join_ref (docs/protocols.md#framing).
            _ = joinRef;
            return new OutboundFrame(buffer.WrittenSpan.ToArray(), WebSocketMessageType.Text);
        }

        private protected override void WriteHeader(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event)
        {
            writer.WriteStartObject();
            writer.WriteString("topic", topic);
            writer.WriteString("event", @event);
            writer.WritePropertyName("payload");
        }

        private protected override void WriteTrailer(Utf8JsonWriter writer, string? @ref)
        {
            writer.WritePropertyName("ref");
            WriteNullableString(writer, @ref);
            writer.WriteEndObject();
        }

        public override OutboundFrame EncodeBinaryBroadcast(string topic, string userEvent, byte[] payload)
        {
            // vsn 1.0.0 has no binary frames: the bytes travel as a JSON array of numbers.
            var body = new JsonObject
            {
                ["type"] = "broadcast",
                ["event"] = userEvent,
                ["payload"] = new JsonArray([.. payload.Select(b => (JsonNode?)JsonValue.Create(b))]),
            };
            return Encode(null, null, topic, "broadcast", body);
        }
    }

    private sealed class V2Serializer : PhoenixSerializer
    {
        public override string Version => "2.0.0";

        public override PhoenixMessage Decode(ReadOnlySpan<byte> data, WebSocketMessageType type)
        {
            if (type == WebSocketMessageType.Binary)
            {
                return DecodeBinary(data);
            }

            if (ParseJson(data) is not JsonArray array || array.Count != 5)
            {
                throw new PhoenixFrameException("a vsn 2.0.0 text frame must be a JSON array [join_ref, ref, topic, event, payload]");
            }

            return new PhoenixMessage(
                ReadRef(array[0], "join_ref"),
                ReadRef(array[1], "ref"),
                ReadString(array[2], "topic"),
                ReadString(array[3], "event"),
                array[4]?.DeepClone());
        }

        private static PhoenixMessage DecodeBinary(ReadOnlySpan<byte> data)
        {
            // 03 | len(join_ref) | len(ref) | len(topic) | len(user_event) | len(metadata) | encoding | strings... | payload
            const int HeaderLength = 7;
            if (data.Length < HeaderLength)
            {
                throw new PhoenixFrameException("binary frame too short");
            }

            if (data[0] != UserBroadcastPushKind)
            {
                throw new PhoenixFrameException($"binary frame kind {data[0]} is not supported (only 3, user broadcast push)");
            }

            int joinRefLength = data[1], refLength = data[2], topicLength = data[3], eventLength = data[4], metadataLength = data[5];
            var encoding = data[6];
            var offset = HeaderLength;
            if (data.Length < offset + joinRefLength + refLength + topicLength + eventLength + metadataLength)
            {
                throw new PhoenixFrameException("binary frame shorter than its header says");
            }

            var joinRef = Take(data, ref offset, joinRefLength);
            var @ref = Take(data, ref offset, refLength);
            var topic = Take(data, ref offset, topicLength);
            var userEvent = Take(data, ref offset, eventLength);
            var metadata = Take(data, ref offset, metadataLength);
            var body = data[offset..];

            var payload = new JsonObject { ["type"] = "broadcast", ["event"] = userEvent };
            if (metadata.Length > 0)
            {
                payload["meta"] = ParseJson(Encoding.UTF8.GetBytes(metadata));
            }

            byte[]? binary = null;
            switch (encoding)
            {
                case 1:
                    payload["payload"] = body.IsEmpty ? null : ParseJson(body);
                    break;
                case 0:
                    binary = body.ToArray();
                    break;
                default:
                    throw new PhoenixFrameException($"binary frame encoding {encoding} is not 0 (binary) or 1 (JSON)");
            }

            return new PhoenixMessage(joinRef.Length == 0 ? null : joinRef, @ref.Length == 0 ? null : @ref, topic, "broadcast", payload)
            {
                BinaryPayload = binary,
            };
        }

        private static string Take(ReadOnlySpan<byte> data, ref int offset, int length)
        {
            var s = Encoding.UTF8.GetString(data.Slice(offset, length));
            offset += length;
            return s;
        }

        public override OutboundFrame EncodeRaw(string? joinRef, string? @ref, string topic, string @event, ReadOnlySpan<byte> payloadJson)
        {
            var buffer = new ArrayBufferWriter<byte>(payloadJson.Length + topic.Length + 48);
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true, Encoder = RealtimeJson.WriterOptions.Encoder }))
            {
                writer.WriteStartArray();
                WriteNullableString(writer, joinRef);
                WriteNullableString(writer, @ref);
                writer.WriteStringValue(topic);
                writer.WriteStringValue(@event);
                writer.WriteRawValue(payloadJson, skipInputValidation: true);
                writer.WriteEndArray();
            }

            return new OutboundFrame(buffer.WrittenSpan.ToArray(), WebSocketMessageType.Text);
        }

        private protected override void WriteHeader(Utf8JsonWriter writer, string? joinRef, string? @ref, string topic, string @event)
        {
            writer.WriteStartArray();
            WriteNullableString(writer, joinRef);
            WriteNullableString(writer, @ref);
            writer.WriteStringValue(topic);
            writer.WriteStringValue(@event);
        }

        private protected override void WriteTrailer(Utf8JsonWriter writer, string? @ref) => writer.WriteEndArray();

        public override OutboundFrame EncodeBinaryBroadcast(string topic, string userEvent, byte[] payload)
        {
            var topicBytes = Encoding.UTF8.GetBytes(topic);
            var eventBytes = Encoding.UTF8.GetBytes(userEvent);
            if (topicBytes.Length > byte.MaxValue || eventBytes.Length > byte.MaxValue)
            {
                throw new PhoenixFrameException("topic or event longer than 255 bytes cannot be sent as a binary frame");
            }

            // 04 | len(topic) | len(user_event) | len(metadata) | encoding | topic | user_event | metadata | payload
            var frame = new byte[5 + topicBytes.Length + eventBytes.Length + payload.Length];
            frame[0] = UserBroadcastKind;
            frame[1] = (byte)topicBytes.Length;
            frame[2] = (byte)eventBytes.Length;
            frame[3] = 0;
            frame[4] = 0;
            topicBytes.CopyTo(frame, 5);
            eventBytes.CopyTo(frame, 5 + topicBytes.Length);
            payload.CopyTo(frame, 5 + topicBytes.Length + eventBytes.Length);
            return new OutboundFrame(frame, WebSocketMessageType.Binary);
        }
    }
}
