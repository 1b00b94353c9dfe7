using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.Sdk.Tickets;

/// <summary>One field's change in a <see cref="TicketEvent"/>: the value before and after, as JSON (a field that had no value
/// is <see cref="JsonValueKind.Null"/>). Read them with <c>GetString()</c>, <c>GetGuid()</c>, or <c>Deserialize</c> with your
/// source-generated type.</summary>
/// <param name="Old">The value before.</param>
/// <param name="New">The value after.</param>
/// <example><code>if (e.Changes.TryGetValue("status", out var status)) Console.WriteLine($"{status.Old} -> {status.New}");</code></example>
[JsonConverter(typeof(TicketFieldChangeConverter))]
public sealed record TicketFieldChange(JsonElement Old, JsonElement New);

/// <summary>Reads the <c>[old, new]</c> pair of the <c>changes</c> column. A value that is not a pair (the facts of an
/// <c>sla_breached</c> event: <c>{"metric": "first_reply", "due_at": "…"}</c>) reads as a value set from nothing.</summary>
internal sealed class TicketFieldChangeConverter : JsonConverter<TicketFieldChange>
{
    private static readonly JsonElement Null = ParseNull();

    public override TicketFieldChange Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return new TicketFieldChange(Null, JsonElement.ParseValue(ref reader));
        }

        reader.Read();
        var old = JsonElement.ParseValue(ref reader);
        reader.Read();
        var changed = JsonElement.ParseValue(ref reader);
        reader.Read();
        return reader.TokenType == JsonTokenType.EndArray ? new TicketFieldChange(old, changed) : throw new JsonException("A field change is an [old, new] pair.");
    }

    private static JsonElement ParseNull()
    {
        using var document = JsonDocument.Parse("null");
        return document.RootElement.Clone();
    }

    public override void Write(Utf8JsonWriter writer, TicketFieldChange value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        value.Old.WriteTo(writer);
        value.New.WriteTo(writer);
        writer.WriteEndArray();
    }
}
