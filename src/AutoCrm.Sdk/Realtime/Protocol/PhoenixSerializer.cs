using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>Encodes pushes and decodes server frames for one Phoenix serializer version.</summary>
internal abstract class PhoenixSerializer
{
    public static PhoenixSerializer For(RealtimeProtocolVersion version) => version switch
    {
        RealtimeProtocolVersion.V1 => V1PhoenixSerializer.Instance,
        _ => V2PhoenixSerializer.Instance,
    };

    /// <summary>The value of the <c>vsn</c> query parameter.</summary>
    public abstract string Vsn { get; }

    public abstract EncodedFrame Encode(PhoenixPush push);

    /// <summary>Decodes one complete frame; returns null for a frame this client does not understand (ignored, like realtime-js).</summary>
    public abstract PhoenixMessage? Decode(ReadOnlySpan<byte> frame, bool isBinary);

    /// <summary>
    /// Reads the payload at the reader: kept as raw bytes for postgres_changes (the hot path, routed without a
    /// <see cref="JsonDocument"/>), parsed for everything else.
    /// </summary>
    protected static (JsonElement Payload, ReadOnlyMemory<byte> Raw) ReadPayload(ref Utf8JsonReader reader, ReadOnlySpan<byte> frame, string? evt)
    {
        if (evt == PhoenixEvents.PostgresChanges && reader.TokenType == JsonTokenType.StartObject)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            return (default, frame[start..(int)reader.BytesConsumed].ToArray());
        }

        return (JsonElement.ParseValue(ref reader), default);
    }

    protected static string? ReadNullableString(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        _ => throw new JsonException($"Expected a string, got {reader.TokenType}."),
    };

    protected static void WriteNullableString(Utf8JsonWriter writer, string? value)
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
}

/// <summary><c>vsn=1.0.0</c>: every frame is a JSON object.</summary>
internal sealed class V1PhoenixSerializer : PhoenixSerializer
{
    public static readonly V1PhoenixSerializer Instance = new();

    public override string Vsn => "1.0.0";

    public override EncodedFrame Encode(PhoenixPush push)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("topic"u8, push.Topic);
            writer.WriteString("event"u8, push.Event);
            writer.WritePropertyName("payload"u8);
            push.Payload.WriteTo(writer);
            writer.WritePropertyName("ref"u8);
            WriteNullableString(writer, push.Ref);
            writer.WritePropertyName("join_ref"u8);
            WriteNullableString(writer, push.JoinRef);
            writer.WriteEndObject();
        }

        return new EncodedFrame(buffer.WrittenMemory, IsBinary: false);
    }

    public override PhoenixMessage? Decode(ReadOnlySpan<byte> frame, bool isBinary)
    {
        if (isBinary)
        {
            return null;
        }

        var reader = new Utf8JsonReader(frame);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A vsn 1.0.0 frame must be a JSON object.");
        }

        string? topic = null, evt = null, reference = null, joinRef = null;
        ReadOnlyMemory<byte> raw = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("topic"u8))
            {
                reader.Read();
                topic = ReadNullableString(ref reader);
            }
            else if (reader.ValueTextEquals("event"u8))
            {
                reader.Read();
                evt = ReadNullableString(ref reader);
            }
            else if (reader.ValueTextEquals("ref"u8))
            {
                reader.Read();
                reference = ReadNullableString(ref reader);
            }
            else if (reader.ValueTextEquals("join_ref"u8))
            {
                reader.Read();
                joinRef = ReadNullableString(ref reader);
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                raw = frame[start..(int)reader.BytesConsumed].ToArray();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (topic is null || evt is null)
        {
            throw new JsonException("A Phoenix message needs a topic and an event.");
        }

        // The payload stays raw: postgres_changes are routed from the bytes, other messages parse it on first use.
        return new PhoenixMessage { Topic = topic, Event = evt, Ref = reference, JoinRef = joinRef, RawPayload = raw };
    }
}

/// <summary><c>vsn=2.0.0</c>: JSON arrays <c>[join_ref, ref, topic, event, payload]</c> plus binary user broadcasts (kinds 3 and 4).</summary>
internal sealed class V2PhoenixSerializer : PhoenixSerializer
{
    public const byte UserBroadcastPushKind = 3;
    public const byte UserBroadcastKind = 4;
    public const byte BinaryEncoding = 0;
    public const byte JsonEncoding = 1;

    public static readonly V2PhoenixSerializer Instance = new();

    public override string Vsn => "2.0.0";

    public override EncodedFrame Encode(PhoenixPush push)
    {
        // realtime-js sends every broadcast push whose payload has a string "event" as a kind-3 binary frame.
        if (push.Event == PhoenixEvents.Broadcast
            && push.Payload.TryGetPropertyValue("event", out var userEvent)
            && userEvent is System.Text.Json.Nodes.JsonValue value
            && value.TryGetValue<string>(out var userEventName))
        {
            return EncodeUserBroadcastPush(push, userEventName);
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            WriteNullableString(writer, push.JoinRef);
            WriteNullableString(writer, push.Ref);
            writer.WriteStringValue(push.Topic);
            writer.WriteStringValue(push.Event);
            push.Payload.WriteTo(writer);
            writer.WriteEndArray();
        }

        return new EncodedFrame(buffer.WrittenMemory, IsBinary: false);
    }

    private static EncodedFrame EncodeUserBroadcastPush(PhoenixPush push, string userEvent)
    {
        var joinRef = Encoding.UTF8.GetBytes(push.JoinRef ?? string.Empty);
        var reference = Encoding.UTF8.GetBytes(push.Ref ?? string.Empty);
        var topic = Encoding.UTF8.GetBytes(push.Topic);
        var evt = Encoding.UTF8.GetBytes(userEvent);
        if (joinRef.Length > 255 || reference.Length > 255 || topic.Length > 255 || evt.Length > 255)
        {
            throw new ArgumentException("join_ref, ref, topic and event of a binary broadcast must each fit in 255 bytes.", nameof(push));
        }

        var body = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(body))
        {
            if (push.Payload.TryGetPropertyValue("payload", out var userPayload) && userPayload is not null)
            {
                userPayload.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }
        }

        // Metadata stays empty: realtime-js only copies allow-listed keys, and the list is empty by default.
        var frame = new byte[7 + joinRef.Length + reference.Length + topic.Length + evt.Length + body.WrittenCount];
        frame[0] = UserBroadcastPushKind;
        frame[1] = (byte)joinRef.Length;
        frame[2] = (byte)reference.Length;
        frame[3] = (byte)topic.Length;
        frame[4] = (byte)evt.Length;
        frame[5] = 0;
        frame[6] = JsonEncoding;
        var offset = 7;
        foreach (var part in (ReadOnlySpan<byte[]>)[joinRef, reference, topic, evt])
        {
            part.CopyTo(frame, offset);
            offset += part.Length;
        }

        body.WrittenSpan.CopyTo(frame.AsSpan(offset));
        return new EncodedFrame(frame, IsBinary: true);
    }

    public override PhoenixMessage? Decode(ReadOnlySpan<byte> frame, bool isBinary)
    {
        if (isBinary)
        {
            return frame.Length > 0 && frame[0] == UserBroadcastKind ? DecodeUserBroadcast(frame) : null;
        }

        var reader = new Utf8JsonReader(frame);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("A vsn 2.0.0 text frame must be a JSON array.");
        }

        reader.Read();
        var joinRef = ReadNullableString(ref reader);
        reader.Read();
        var reference = ReadNullableString(ref reader);
        reader.Read();
        var topic = ReadNullableString(ref reader) ?? throw new JsonException("A Phoenix message needs a topic.");
        reader.Read();
        var evt = ReadNullableString(ref reader) ?? throw new JsonException("A Phoenix message needs an event.");
        reader.Read();
        if (evt == PhoenixEvents.PostgresChanges && reader.TokenType == JsonTokenType.StartObject
            && LastElementBody(frame, (int)reader.TokenStartIndex) is { } slice)
        {
            // The hot path: the payload is the frame's last element, so it is cut out without a Skip over its ~2 KB;
            // PostgresChange.TryParse reads (and validates) it in the one pass it makes anyway.
            return new PhoenixMessage { JoinRef = joinRef, Ref = reference, Topic = topic, Event = evt, RawPayload = frame[slice].ToArray() };
        }

        var (payload, raw) = ReadPayload(ref reader, frame, evt);
        return raw.IsEmpty
            ? new PhoenixMessage { JoinRef = joinRef, Ref = reference, Topic = topic, Event = evt, Payload = payload }
            : new PhoenixMessage { JoinRef = joinRef, Ref = reference, Topic = topic, Event = evt, RawPayload = raw };
    }

    /// <summary>The range from <paramref name="start"/> to the frame's closing <c>]</c> (trailing whitespace aside), or null.</summary>
    private static Range? LastElementBody(ReadOnlySpan<byte> frame, int start)
    {
        var body = frame[start..].TrimEnd(RowJson.WhiteSpace);
        if (body.Length < 2 || body[^1] != (byte)']')
        {
            return null;
        }

        body = body[..^1].TrimEnd(RowJson.WhiteSpace);
        return !body.IsEmpty && body[^1] == (byte)'}' ? start..(start + body.Length) : null;
    }

    private static PhoenixMessage DecodeUserBroadcast(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 5)
        {
            throw new JsonException("Truncated binary broadcast frame.");
        }

        int topicLength = frame[1], eventLength = frame[2], metaLength = frame[3];
        var encoding = frame[4];
        var offset = 5;
        if (frame.Length < offset + topicLength + eventLength + metaLength)
        {
            throw new JsonException("Truncated binary broadcast frame.");
        }

        var topic = Encoding.UTF8.GetString(frame.Slice(offset, topicLength));
        offset += topicLength;
        var userEvent = frame.Slice(offset, eventLength);
        offset += eventLength;
        var meta = frame.Slice(offset, metaLength);
        offset += metaLength;
        var userPayload = frame[offset..];

        var buffer = new ArrayBufferWriter<byte>(frame.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "broadcast"u8);
            writer.WriteString("event"u8, userEvent);
            writer.WritePropertyName("payload"u8);
            if (encoding == JsonEncoding)
            {
                writer.WriteRawValue(userPayload, skipInputValidation: false);
            }
            else
            {
                writer.WriteNullValue();
            }

            if (metaLength > 0)
            {
                writer.WritePropertyName("meta"u8);
                writer.WriteRawValue(meta, skipInputValidation: false);
            }

            writer.WriteEndObject();
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        var payload = JsonElement.ParseValue(ref reader);
        return new PhoenixMessage
        {
            Topic = topic,
            Event = PhoenixEvents.Broadcast,
            Payload = payload,
            BinaryPayload = encoding == JsonEncoding ? null : userPayload.ToArray(),
        };
    }
}
