using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace AutoCrm.Sdk.Internal;

/// <summary>Request bodies that must say "set to null": the context leaves null properties out (left out = kept).</summary>
internal static class CrmJsonBodies
{
    /// <summary>The value's JSON object (its non-null properties) with <paramref name="column"/> set to JSON null.</summary>
    public static JsonObject WithNull<T>(T value, JsonTypeInfo<T> type, string column)
    {
        var body = JsonSerializer.SerializeToNode(value, type)?.AsObject() ?? new JsonObject();
        body[column] = null;
        return body;
    }
}
