using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.ConsoleHost.Connection;

/// <summary>~/.autocrm/profile.json: the project to use when neither options nor environment variables name one.</summary>
internal sealed record ConnectionProfile
{
    [JsonPropertyName("url")]
    public string? Url { get; init; }

    [JsonPropertyName("anon_key")]
    public string? AnonKey { get; init; }

    internal static string PathIn(string configDirectory) => Path.Combine(configDirectory, "profile.json");

    internal static ConnectionProfile? Load(string configDirectory)
    {
        var path = PathIn(configDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ConnectionProfile>(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new Cli.UsageException($"the profile {path} is not valid JSON: {ex.Message}", ex);
        }
    }
}
