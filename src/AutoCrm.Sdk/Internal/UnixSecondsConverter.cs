using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.Sdk.Internal;

/// <summary>Auth's <c>expires_at</c>: seconds since the Unix epoch.</summary>
internal sealed class UnixSecondsConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Number
            ? DateTimeOffset.FromUnixTimeSeconds(reader.TryGetInt64(out var s) ? s : (long)reader.GetDouble())
            : reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.ToUnixTimeSeconds());
}
