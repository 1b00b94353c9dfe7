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
