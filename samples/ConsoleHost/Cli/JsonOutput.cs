using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.ConsoleHost.Cli;

/// <summary>The --json wire shape: snake_case names and enum values, as the database and the SDK spell them.</summary>
internal static class JsonOutput
{
    internal static readonly JsonSerializerOptions Document = Create(indented: true);

    internal static readonly JsonSerializerOptions Line = Create(indented: false);

    internal static void WriteDocument<T>(TextWriter writer, T value)
    {
        writer.WriteLine(JsonSerializer.Serialize(value, Document));
        writer.Flush();
    }

    internal static void WriteLine<T>(TextWriter writer, T value)
    {
        writer.WriteLine(JsonSerializer.Serialize(value, Line));
        writer.Flush();
    }

    private static JsonSerializerOptions Create(bool indented) => new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = indented,

        // Output for terminals and files, never embedded in HTML: keep →, quotes and accents readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
