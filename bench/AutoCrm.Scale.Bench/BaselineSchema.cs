using AutoCrm.DevStack.Postgres;

namespace AutoCrm.Scale.Bench;

/// <summary>
/// The "before" of every before/after table: the schema main had when the scale work began, i.e. the migrations up to
/// and including <see cref="LastVersion"/> (migrations are never edited once on main, so these files are that schema).
/// Materialized as a Supabase directory (migrations + config.toml) for the DevStack that serves the before databases.
/// </summary>
internal static class BaselineSchema
{
    public const string LastVersion = "20261126120000";

    public static SupabaseProject Project(string benchDirectory) => SupabaseProject.FromDirectory(Materialize(benchDirectory));

    public static string Materialize(string benchDirectory)
    {
        var root = Path.Combine(benchDirectory, "baseline-supabase");
        var migrations = Path.Combine(root, "migrations");
        Directory.CreateDirectory(migrations);
        var embedded = SupabaseProject.Embedded();
        foreach (var migration in embedded.Migrations.Where(m => string.CompareOrdinal(m.Version, LastVersion) <= 0))
        {
            File.WriteAllText(Path.Combine(migrations, migration.FileName), migration.Sql);
        }

        File.WriteAllText(Path.Combine(root, "config.toml"), embedded.ConfigToml ?? "");
        return root;
    }
}
