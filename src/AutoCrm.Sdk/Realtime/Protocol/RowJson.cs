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

    /// <summary>Deserializes a row from its UTF-8 JSON slice.</summary>
    public static T? Read<T>(ReadOnlyMemory<byte> row, JsonTypeInfo<T> typeInfo) => JsonSerializer.Deserialize(row.Span, typeInfo);

    /// <summary>The four bytes JSON counts as whitespace between tokens.</summary>
    public static ReadOnlySpan<byte> WhiteSpace => " \t\r\n"u8;

    /// <summary>Whether the slice is a JSON object (not empty, not <c>null</c>).</summary>
    public static bool IsObject(ReadOnlyMemory<byte> row)
    {
        var span = row.Span.TrimStart(WhiteSpace);
        return !span.IsEmpty && span[0] == (byte)'{';
    }

    /// <summary>Finds a top-level property of a row object; returns its value's slice (empty when absent).</summary>
    public static ReadOnlyMemory<byte> Property(ReadOnlyMemory<byte> row, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(row.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return default;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (match)
            {
                return row[start..(int)reader.BytesConsumed];
            }
        }

        return default;
    }
}
