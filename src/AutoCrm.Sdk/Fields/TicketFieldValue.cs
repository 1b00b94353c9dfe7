using System.Buffers;
using System.Globalization;
using System.Text.Json;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Fields;

/// <summary>
/// The value of a custom ticket field, with its .NET type: build one with the factory for the field's type
/// (<see cref="Date(DateOnly)"/>, <see cref="Decimal(decimal)"/>, <see cref="Options(IReadOnlyList{string})"/>, …) and read
/// one with the matching <c>As…</c> method. Immutable, compared by its JSON. <see cref="None"/> (JSON <c>null</c>) means
/// "no value": writing it clears the field.
/// </summary>
/// <example>
/// <code>
/// var renewal = ticket.Metadata.GetFieldValue("renewal").AsDate();                     // DateOnly?
/// var patched = ticket.Metadata.WithFieldValue("seats", TicketFieldValue.Integer(25));   // CrmMetadata
/// await crm.Fields.SetValueAsync(ticket.Id, "tier", TicketFieldValue.Option("gold"));
/// </code>
/// </example>
public sealed class TicketFieldValue : IEquatable<TicketFieldValue>
{
    private readonly JsonElement _json;

    private TicketFieldValue(JsonElement json) => _json = json;

    /// <summary>No value (JSON <c>null</c>): the field is empty, or is to be cleared.</summary>
    public static TicketFieldValue None { get; } = new(Write(static w => w.WriteNullValue()));

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool IsNone => _json.ValueKind == JsonValueKind.Null;

    /// <summary>The value as JSON, as the database stores it.</summary>
    public JsonElement Json => _json;

    /// <summary>A <see cref="TicketFieldType.Text"/>, <see cref="TicketFieldType.Textarea"/> or <see cref="TicketFieldType.Regex"/> value.</summary>
    /// <param name="value">The text; empty means no value.</param>
    /// <returns>The value.</returns>
    public static TicketFieldValue Text(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length == 0 ? None : new(Write(w => w.WriteStringValue(value)));
    }

    /// <summary>A <see cref="TicketFieldType.Integer"/> value.</summary>
    /// <param name="value">The number.</param>
    /// <returns>The value.</returns>
    public static TicketFieldValue Integer(long value) => new(Write(w => w.WriteNumberValue(value)));

    /// <summary>A <see cref="TicketFieldType.Decimal"/> value (written with its scale, e.g. <c>12.50</c>).</summary>
    /// <param name="value">The number.</param>
    /// <returns>The value.</returns>
    public static TicketFieldValue Decimal(decimal value) => new(Write(w => w.WriteNumberValue(value)));

    /// <summary>A <see cref="TicketFieldType.Checkbox"/> value.</summary>
    /// <param name="value">Checked or not.</param>
    /// <returns>The value.</returns>
    public static TicketFieldValue Checkbox(bool value) => new(Write(w => w.WriteBooleanValue(value)));

    /// <summary>A <see cref="TicketFieldType.Date"/> value (<c>YYYY-MM-DD</c>).</summary>
    /// <param name="value">The date.</param>
    /// <returns>The value.</returns>
    public static TicketFieldValue Date(DateOnly value) =>
        new(Write(w => w.WriteStringValue(value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))));

    /// <summary>A <see cref="TicketFieldType.Dropdown"/> value: one option's value.</summary>
    /// <param name="value">The option value.</param>
    /// <returns>The value.</returns>
    public static TicketFieldValue Option(string value) => Text(value);

    /// <summary>A <see cref="TicketFieldType.Multiselect"/> value: option values, each once; none means no value.</summary>
    /// <param name="values">The option values, in the order to keep.</param>
    /// <returns>The value.</returns>
    public static TicketFieldValue Options(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Count == 0 ? None : new(Write(w =>
        {
            w.WriteStartArray();
            foreach (var value in values)
            {
                ArgumentNullException.ThrowIfNull(value, nameof(values));
                w.WriteStringValue(value);
            }

            w.WriteEndArray();
        }));
    }

    /// <summary>A value from its JSON (for a type this SDK does not model, or a value read elsewhere).</summary>
    /// <param name="json">The JSON value; <c>null</c> is <see cref="None"/>.</param>
    /// <returns>The value (a copy: later changes to the element's document do not affect it).</returns>
    public static TicketFieldValue FromJson(JsonElement json) =>
        json.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? None : new(json.Clone());

    /// <summary>Reads a text, textarea, regex or dropdown value.</summary>
    /// <returns>The text, or <see langword="null"/> for <see cref="None"/>.</returns>
    /// <exception cref="CrmValidationException">The value is not text (code <c>invalid_value</c>).</exception>
    public string? AsText() => IsNone ? null : _json.ValueKind == JsonValueKind.String ? _json.GetString() : throw NotA("text");

    /// <summary>Reads an integer value.</summary>
    /// <returns>The number, or <see langword="null"/> for <see cref="None"/>.</returns>
    /// <exception cref="CrmValidationException">The value is not a whole number that fits <see cref="long"/>.</exception>
    public long? AsInteger() => IsNone ? null : _json.ValueKind == JsonValueKind.Number && _json.TryGetInt64(out var n) ? n : throw NotA("whole number");

    /// <summary>Reads a decimal (or integer) value.</summary>
    /// <returns>The number, or <see langword="null"/> for <see cref="None"/>.</returns>
    /// <exception cref="CrmValidationException">The value is not a number that fits <see cref="decimal"/>.</exception>
    public decimal? AsDecimal() => IsNone ? null : _json.ValueKind == JsonValueKind.Number && _json.TryGetDecimal(out var d) ? d : throw NotA("decimal number");

    /// <summary>Reads a checkbox value.</summary>
    /// <returns>The flag, or <see langword="null"/> for <see cref="None"/>.</returns>
    /// <exception cref="CrmValidationException">The value is not <c>true</c> or <c>false</c>.</exception>
    public bool? AsCheckbox() => IsNone ? null : _json.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw NotA("checkbox value"),
    };

    /// <summary>Reads a date value.</summary>
    /// <returns>The date, or <see langword="null"/> for <see cref="None"/>.</returns>
    /// <exception cref="CrmValidationException">The value is not a <c>YYYY-MM-DD</c> date.</exception>
    public DateOnly? AsDate() =>
        IsNone ? null
        : _json.ValueKind == JsonValueKind.String
          && DateOnly.TryParseExact(_json.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw NotA("date");

    /// <summary>Reads a multiselect value (a dropdown value reads as one option).</summary>
    /// <returns>The option values (empty for <see cref="None"/>).</returns>
    /// <exception cref="CrmValidationException">The value is not text or an array of text.</exception>
    public IReadOnlyList<string> AsOptions()
    {
        switch (_json.ValueKind)
        {
            case JsonValueKind.Null:
                return [];
            case JsonValueKind.String:
                return [_json.GetString()!];
            case JsonValueKind.Array:
                var values = new List<string>(_json.GetArrayLength());
                foreach (var item in _json.EnumerateArray())
                {
                    values.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw NotA("list of options"));
                }

                return values.AsReadOnly();
            default:
                throw NotA("list of options");
        }
    }

    /// <summary>Whether both hold the same JSON text.</summary>
    /// <param name="other">The other value.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals(TicketFieldValue? other) => other is not null && _json.GetRawText() == other._json.GetRawText();

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TicketFieldValue);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_json.GetRawText());

    /// <summary>The JSON text.</summary>
    /// <returns>For example <c>"2025-03-01"</c> or <c>["a","b"]</c>.</returns>
    public override string ToString() => _json.GetRawText();

    private static JsonElement Write(Action<Utf8JsonWriter> write)
    {
        var output = new ArrayBufferWriter<byte>(32);
        using (var writer = new Utf8JsonWriter(output))
        {
            write(writer);
        }

        return JsonSerializer.Deserialize(output.WrittenSpan, CrmJsonContext.Default.JsonElement);
    }

    private CrmValidationException NotA(string what) =>
        CrmErrors.Invalid("value", $"The field value {ToString()} is not a {what}.");
}

/// <summary>Custom field values in a metadata object (a ticket's <see cref="Tickets.Ticket.Metadata"/>, or the values that
/// <see cref="FieldsClient.GetValuesAsync"/> returns), read and written with their .NET types.</summary>
public static class TicketFieldMetadata
{
    /// <summary>The value under a field's key (<see cref="TicketFieldValue.None"/> when absent).</summary>
    /// <param name="metadata">The metadata.</param>
    /// <param name="key">The field key.</param>
    /// <returns>The value.</returns>
    public static TicketFieldValue GetFieldValue(this CrmMetadata metadata, string key)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(key);
        return metadata.TryGetProperty(key, out var value) ? TicketFieldValue.FromJson(value) : TicketFieldValue.None;
    }

    /// <summary>A copy with a field's value set; <see cref="TicketFieldValue.None"/> writes <c>null</c>, which clears a defined
    /// field when the metadata is saved (an agent-only field left out of saved metadata keeps its value).</summary>
    /// <param name="metadata">The metadata.</param>
    /// <param name="key">The field key.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new metadata; this one is unchanged.</returns>
    public static CrmMetadata WithFieldValue(this CrmMetadata metadata, string key, TicketFieldValue value)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(value);
        return metadata.With(key, value.Json);
    }
}
