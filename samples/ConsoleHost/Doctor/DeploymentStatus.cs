using System.Text.Json;

namespace AutoCrm.ConsoleHost.Doctor;

/// <summary>A function the schema expects pg_cron to run, and whether it exists and is scheduled.</summary>
internal sealed record ScheduledFunction(string Function, bool Present, bool Scheduled);

/// <summary>What <c>public.deployment_status()</c> reports about a deployment.</summary>
internal sealed record DeploymentStatus
{
    /// <summary>Applied migration versions; null when the project has no Supabase CLI history.</summary>
    public IReadOnlyList<string>? Migrations { get; init; }

    public required IReadOnlyList<string> Tables { get; init; }

    public required IReadOnlyList<string> TablesWithoutRls { get; init; }

    public required IReadOnlyList<string> RealtimeTables { get; init; }

    public required IReadOnlyList<string> Functions { get; init; }

    public bool PgCronEnabled { get; init; }

    public required IReadOnlyList<ScheduledFunction> ScheduledFunctions { get; init; }

    public static DeploymentStatus Parse(JsonElement json)
    {
        static IReadOnlyList<string> Names(JsonElement parent, string property) =>
            parent.TryGetProperty(property, out var array) && array.ValueKind == JsonValueKind.Array
                ? array.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList()
                : [];

        var cron = json.TryGetProperty("pg_cron", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var scheduled = cron.ValueKind == JsonValueKind.Object && cron.TryGetProperty("scheduled_functions", out var s) && s.ValueKind == JsonValueKind.Array
            ? s.EnumerateArray().Select(f => new ScheduledFunction(
                f.GetProperty("function").GetString() ?? string.Empty,
                f.GetProperty("present").GetBoolean(),
                f.GetProperty("scheduled").GetBoolean())).ToList()
            : [];
        return new DeploymentStatus
        {
            Migrations = json.TryGetProperty("migrations", out var m) && m.ValueKind == JsonValueKind.Array ? Names(json, "migrations") : null,
            Tables = Names(json, "tables"),
            TablesWithoutRls = Names(json, "tables_without_rls"),
            RealtimeTables = Names(json, "realtime_tables"),
            Functions = Names(json, "functions"),
            PgCronEnabled = cron.ValueKind == JsonValueKind.Object && cron.TryGetProperty("enabled", out var e) && e.ValueKind == JsonValueKind.True,
            ScheduledFunctions = scheduled,
        };
    }
}
