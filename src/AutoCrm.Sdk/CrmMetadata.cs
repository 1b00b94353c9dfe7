using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk;

/// <summary>
/// An immutable JSON object: the open-shaped <c>metadata</c> of tickets, messages and profiles (a JSONB column) and of
/// Auth users. It holds the object's UTF-8 JSON and nothing else, so it is safe to share between threads and models,
/// cheap to read from a response, and compared by its JSON text. Read it typed with
/// <see cref="As{T}(JsonTypeInfo{T})"/> (your own source-generated types, AOT-safe), or as a <see cref="JsonElement"/>
/// with <see cref="RootElement"/>; build one with <see cref="From{T}(T, JsonTypeInfo{T})"/>, <see cref="Parse(string)"/> or
/// <see cref="With(string, JsonElement)"/>.
/// </summary>
/// <example>
/// <code>
/// var plan = ticket.Metadata.As(MyJsonContext.Default.PlanInfo);          // null when the object is empty
/// var meta = CrmMetadata.From(new PlanInfo("pro", 5), MyJsonContext.Default.PlanInfo);
/// var more = meta.With("channel", JsonSerializer.SerializeToElement("email", MyJsonContext.Default.String));
/// </code>
/// </example>
[JsonConverter(typeof(CrmMetadataConverter))]
public sealed class CrmMetadata : IEquatable<CrmMetadata>
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();
    private readonly byte[] _utf8;
    private JsonElement? _root;

    private CrmMetadata(byte[] utf8) => _utf8 = utf8;

    /// <summary>The empty object <c>{}</c>.</summary>
    public static CrmMetadata Empty { get; } = new(EmptyObject);

    /// <summary>Whether the object has no properties.</summary>
    public bool IsEmpty => _utf8.Length == 2;

    /// <summary>The object's JSON as UTF-8 (compact: no whitespace between tokens).</summary>
    public ReadOnlyMemory<byte> Utf8Json => _utf8;

    /// <summary>The object as a <see cref="JsonElement"/> (parsed once, on first use).</summary>
    public JsonElement RootElement => _root ??= JsonSerializer.Deserialize(_utf8, CrmJsonContext.Default.JsonElement);

    /// <summary>Parses a JSON object.</summary>
    /// <param name="json">The JSON text of an object.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="CrmValidationException">The text is not a JSON object (field <c>metadata</c>).</exception>
    public static CrmMetadata Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Parses a JSON object from UTF-8.</summary>
    /// <param name="utf8Json">The UTF-8 JSON of an object.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="CrmValidationException">The bytes are not a JSON object (field <c>metadata</c>).</exception>
    public static CrmMetadata Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            return reader.Read() ? Copy(ref reader) ?? throw NotAnObject() : throw NotAnObject();
        }
        catch (JsonException ex)
        {
            throw new CrmValidationException(new CrmErrorInfo { Code = "invalid_value", Field = "metadata", Message = "Metadata is not valid JSON: " + ex.Message, IsTransient = false }, ex);
        }
    }

    /// <summary>Serializes a typed value (AOT-safe through its source-generated metadata).</summary>
    /// <typeparam name="T">The value's type; it must serialize to a JSON object.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">Its source-generated JSON metadata, e.g. <c>MyJsonContext.Default.PlanInfo</c>.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="CrmValidationException">The value does not serialize to a JSON object (field <c>metadata</c>).</exception>
    public static CrmMetadata From<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Parse(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
    }

    /// <summary>Copies a JSON object element.</summary>
    /// <param name="element">An element of kind <see cref="JsonValueKind.Object"/>.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="CrmValidationException">The element is not an object (field <c>metadata</c>).</exception>
    public static CrmMetadata From(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? Parse(Encoding.UTF8.GetBytes(element.GetRawText())) : throw NotAnObject();

    /// <summary>Copies a <see cref="System.Text.Json.Nodes.JsonObject"/> (handy for building metadata in code).</summary>
    /// <param name="json">The object.</param>
    /// <returns>The metadata; later changes to <paramref name="json"/> do not affect it.</returns>
    public static CrmMetadata From(System.Text.Json.Nodes.JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(JsonSerializer.SerializeToUtf8Bytes(json, CrmJsonContext.Default.JsonObject));
    }

    /// <summary>A top-level property's value, or <see langword="null"/> when absent.</summary>
    /// <param name="name">The property name.</param>
    /// <returns>The value.</returns>
    /// <example><code>var plan = ticket.Metadata["plan"]?.GetString();</code></example>
    public JsonElement? this[string name] => TryGetProperty(name, out var value) ? value : null;

    /// <summary>Reads the object as a typed value.</summary>
    /// <typeparam name="T">The type.</typeparam>
    /// <param name="typeInfo">Its source-generated JSON metadata.</param>
    /// <returns>The value, or <see langword="default"/> (<see langword="null"/> for reference types) when the object is empty.</returns>
    public T? As<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return IsEmpty ? default : JsonSerializer.Deserialize(_utf8, typeInfo);
    }

    /// <summary>Looks up a top-level property.</summary>
    /// <param name="name">The property name.</param>
    /// <param name="value">Its value, when present.</param>
    /// <returns>Whether the property exists.</returns>
    public bool TryGetProperty(string name, out JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(name);
        return RootElement.TryGetProperty(name, out value);
    }

    /// <summary>A copy with one top-level property set (added, or replaced in place).</summary>
    /// <param name="name">The property name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new metadata; this one is unchanged.</returns>
    public CrmMetadata With(string name, JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Rewrite(name, value, remove: false);
    }

    /// <summary>A copy without a top-level property.</summary>
    /// <param name="name">The property name.</param>
    /// <returns>The new metadata (this one when the property is absent).</returns>
    public CrmMetadata Without(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryGetProperty(name, out _) ? Rewrite(name, default, remove: true) : this;
    }

    /// <summary>Whether both hold the same JSON text.</summary>
    /// <param name="other">The other metadata.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals(CrmMetadata? other) => other is not null && _utf8.AsSpan().SequenceEqual(other._utf8);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as CrmMetadata);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_utf8);
        return hash.ToHashCode();
    }

    /// <summary>The JSON text.</summary>
    /// <returns>For example <c>{"plan":"pro"}</c>.</returns>
    public override string ToString() => Encoding.UTF8.GetString(_utf8);

    /// <summary>
    /// Copies the object the reader is at, token by token, into compact UTF-8 (strings and numbers keep their exact
    /// source bytes, escapes included). One exactly-sized array per object: this is what keeps reading a page of tickets
    /// cheap. Returns <see langword="null"/> when the current token is not the start of an object.
    /// </summary>
    internal static CrmMetadata? Copy(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        var depth = reader.CurrentDepth;
        var buffer = ArrayPool<byte>.Shared.Rent(256);
        var length = 0;
        try
        {
            var comma = false;
            do
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        Append(ref buffer, ref length, comma, "{"u8);
                        comma = false;
                        break;
                    case JsonTokenType.StartArray:
                        Append(ref buffer, ref length, comma, "["u8);
                        comma = false;
                        break;
                    case JsonTokenType.EndObject:
                        Append(ref buffer, ref length, false, "}"u8);
                        comma = true;
                        break;
                    case JsonTokenType.EndArray:
                        Append(ref buffer, ref length, false, "]"u8);
                        comma = true;
                        break;
                    case JsonTokenType.PropertyName:
                        Append(ref buffer, ref length, comma, "\""u8);
                        Append(ref buffer, ref length, false, Raw(ref reader));
                        Append(ref buffer, ref length, false, "\":"u8);
                        comma = false;
                        break;
                    case JsonTokenType.String:
                        Append(ref buffer, ref length, comma, "\""u8);
                        Append(ref buffer, ref length, false, Raw(ref reader));
                        Append(ref buffer, ref length, false, "\""u8);
                        comma = true;
                        break;
                    default:
                        // Numbers and the literals true, false, null: their bytes as written.
                        Append(ref buffer, ref length, comma, Raw(ref reader));
                        comma = true;
                        break;
                }
            }
            while (!(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth) && reader.Read());

            return length == 2 ? Empty : new CrmMetadata(buffer.AsSpan(0, length).ToArray());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReadOnlySpan<byte> Raw(ref Utf8JsonReader reader) =>
        reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;

    private static void Append(ref byte[] buffer, ref int length, bool comma, ReadOnlySpan<byte> bytes)
    {
        var needed = length + bytes.Length + 1;
        if (needed > buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, buffer.Length * 2));
            buffer.AsSpan(0, length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }

        if (comma)
        {
            buffer[length++] = (byte)',';
        }

        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    private CrmMetadata Rewrite(string name, JsonElement value, bool remove)
    {
        var output = new ArrayBufferWriter<byte>(_utf8.Length + 64);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            var replaced = false;
            foreach (var property in RootElement.EnumerateObject())
            {
                if (property.NameEquals(name))
                {
                    if (!remove && !replaced)
                    {
                        writer.WritePropertyName(name);
                        value.WriteTo(writer);
                        replaced = true;
                    }

                    continue;
                }

                property.WriteTo(writer);
            }

            if (!remove && !replaced)
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return new CrmMetadata(output.WrittenSpan.ToArray());
    }

    private static CrmValidationException NotAnObject() =>
        new(new CrmErrorInfo { Code = "invalid_value", Field = "metadata", Message = "Metadata must be a JSON object.", IsTransient = false });
}

/// <summary>Reads metadata by copying the object's tokens (no <see cref="JsonDocument"/>); writes its bytes as they are.</summary>
internal sealed class CrmMetadataConverter : JsonConverter<CrmMetadata>
{
    public override bool HandleNull => true;

    public override CrmMetadata Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return CrmMetadata.Empty;
        }

        return CrmMetadata.Copy(ref reader) ?? throw new JsonException("Metadata must be a JSON object.");
    }

    public override void Write(Utf8JsonWriter writer, CrmMetadata value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteRawValue(value.Utf8Json.Span, skipInputValidation: true);
    }
}
