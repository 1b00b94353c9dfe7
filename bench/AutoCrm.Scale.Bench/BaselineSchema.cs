using AutoCrm.DevStack.Postgres;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// The "before" of every before/after table: every migration of this build except the scale migration
/// (<see cref="ScaleVersion"/>, which sorts last when it lands), so the two sides differ by exactly that migration.
/// Materialized as a Supabase directory (migrations + config.toml) for the DevStack that serves the before databases.
/// </summary>
internal static class BaselineSchema
{
    public const string ScaleVersion = "20261205004332";

    public static SupabaseProject Project(string benchDirectory) => SupabaseProject.FromDirectory(Materialize(benchDirectory));

    public static string Materialize(string benchDirectory)
    {
        var root = Path.Combine(benchDirectory, "baseline-supabase");
        var migrations = Path.Combine(root, "migrations");
        Directory.CreateDirectory(migrations);
        var embedded = SupabaseProject.Embedded();
        foreach (var migration in embedded.Migrations.Where(m => string.CompareOrdinal(m.Version, ScaleVersion) < 0))
        {
            File.WriteAllText(Path.Combine(migrations, migration.FileName), migration.Sql);
        }

        File.WriteAllText(Path.Combine(root, "config.toml"), embedded.ConfigToml ?? "");
        return root;
    }
}
