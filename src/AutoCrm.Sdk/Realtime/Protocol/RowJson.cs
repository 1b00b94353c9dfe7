using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AutoCrm.Sdk.Realtime.Protocol;

/// <summary>Typed reads of row values inside a decoded frame.</summary>
internal static class RowJson
{
    /// <summary>Deserializes straight from the frame's UTF-8 bytes where the runtime allows it (no re-serialization of the element).</summary>
    public static T? Read<T>(JsonElement element, JsonTypeInfo<T> typeInfo)
    {
#if NET9_0_OR_GREATER
        return JsonSerializer.Deserialize(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element), typeInfo);
#else
        return element.Deserialize(typeInfo);
#endif
    }
}
