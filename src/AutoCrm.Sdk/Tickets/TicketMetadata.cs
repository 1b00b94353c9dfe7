using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace AutoCrm.Sdk.Tickets;

/// <summary>Converts between typed metadata values and the JSONB <see cref="JsonObject"/> the database stores.</summary>
public static class TicketMetadata
{
    /// <summary>Serializes a typed value to the <see cref="JsonObject"/> that <c>metadata</c> columns hold.</summary>
    /// <typeparam name="T">The metadata type.</typeparam>
    /// <param name="value">The value; it must serialize to a JSON object.</param>
    /// <param name="typeInfo">Its source-generated JSON metadata.</param>
    /// <returns>The JSON object.</returns>
    /// <exception cref="ArgumentException">The value does not serialize to a JSON object.</exception>
    public static JsonObject From<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return JsonSerializer.SerializeToNode(value, typeInfo) as JsonObject
            ?? throw new ArgumentException("Metadata must serialize to a JSON object.", nameof(value));
    }

    /// <summary>Reads a <see cref="JsonObject"/> as a typed value.</summary>
    /// <typeparam name="T">The metadata type.</typeparam>
    /// <param name="metadata">The JSON object.</param>
    /// <param name="typeInfo">Its source-generated JSON metadata.</param>
    /// <returns>The value.</returns>
    public static T? Read<T>(JsonObject metadata, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(typeInfo);
        return metadata.Deserialize(typeInfo);
    }
}
