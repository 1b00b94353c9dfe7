using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace AutoCrm.DevStack.Realtime;

/// <summary>Source-generated JSON metadata for the node types the Realtime service writes.</summary>
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class RealtimeJsonContext : JsonSerializerContext;

internal static class RealtimeJson
{
    /// <summary>Frames go to websocket clients, not HTML: keep '+', quotes and non-ASCII as they are (like Realtime).</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Serializes a node with <see cref="WriterOptions"/>.</summary>
    public static byte[] Serialize(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static JsonTypeInfo<JsonNode> NodeTypeInfo => RealtimeJsonContext.Default.JsonNode;

    /// <summary>Reads a boolean that may arrive as a JSON boolean or as a string ("true"/"false").</summary>
    public static bool ReadFlag(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.TryGetValue(out string? s) => bool.TryParse(s, out var b) && b,
        _ => false,
    };

    public static string? ReadString(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
