using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.ConsoleHost.Connection;

/// <summary>~/.autocrm/devstack.json, written while <c>autocrm devstack</c> runs, so other commands use that server
/// instead of starting a second one on the same data directory.</summary>
internal sealed record DevStackInfo
{
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    [JsonPropertyName("anon_key")]
    public required string AnonKey { get; init; }

    [JsonPropertyName("service_role_key")]
    public required string ServiceRoleKey { get; init; }

    [JsonPropertyName("database_url")]
    public string? DatabaseUrl { get; init; }

    [JsonPropertyName("pid")]
    public int ProcessId { get; init; }

    internal static string PathIn(string configDirectory) => Path.Combine(configDirectory, "devstack.json");

    internal static DevStackInfo? LoadRunning(string configDirectory)
    {
        var path = PathIn(configDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var info = JsonSerializer.Deserialize<DevStackInfo>(File.ReadAllText(path));
            return info is not null && IsAlive(info.ProcessId) ? info : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
