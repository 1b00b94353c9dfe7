using System.Reflection;
using System.Text.RegularExpressions;

namespace AutoCrm.DevStack.Postgres;

/// <summary>One file of <c>supabase/migrations</c>: <c>&lt;version&gt;_&lt;name&gt;.sql</c>.</summary>
internal sealed record MigrationFile(string Version, string Name, string FileName, string Sql);

/// <summary>
/// The database half of a Supabase project: migrations, seed and config.toml, read from a directory laid out as the
/// Supabase CLI does (<c>supabase/</c>) or from the copy embedded in this assembly.
/// </summary>
internal sealed partial class SupabaseProject
{
    private SupabaseProject(string source, IReadOnlyList<MigrationFile> migrations, string? seedSql, string? configToml)
    {
        Source = source;
        Migrations = migrations;
        SeedSql = seedSql;
        ConfigToml = configToml;
    }

    /// <summary>Where the files came from (a directory or "embedded"), for messages.</summary>
    public string Source { get; }

    /// <summary>Migrations in version order.</summary>
    public IReadOnlyList<MigrationFile> Migrations { get; }

    /// <summary>The text of seed.sql, or null when there is none.</summary>
    public string? SeedSql { get; }

    /// <summary>The text of config.toml, or null when there is none.</summary>
    public string? ConfigToml { get; }

    /// <summary>Reads <paramref name="directory"/> (the folder holding <c>migrations/</c>, <c>seed.sql</c>, <c>config.toml</c>).</summary>
    public static SupabaseProject FromDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The Supabase directory '{directory}' does not exist.");
        }

        var migrationsDir = Path.Combine(directory, "migrations");
        var files = Directory.Exists(migrationsDir)
            ? Directory.GetFiles(migrationsDir, "*.sql").Select(f => (Name: Path.GetFileName(f), Read: (Func<string>)(() => File.ReadAllText(f))))
            : [];
        var seedPath = Path.Combine(directory, "seed.sql");
        var configPath = Path.Combine(directory, "config.toml");
        return new SupabaseProject(
            Path.GetFullPath(directory),
            ToMigrations(files),
            File.Exists(seedPath) ? File.ReadAllText(seedPath) : null,
            File.Exists(configPath) ? File.ReadAllText(configPath) : null);
    }

    /// <summary>The copy of the repository's <c>supabase/</c> embedded at build time.</summary>
    public static SupabaseProject Embedded()
    {
        var assembly = typeof(SupabaseProject).Assembly;
        const string prefix = "supabase/migrations/";
        var files = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Name: n[prefix.Length..], Read: (Func<string>)(() => ReadResource(assembly, n)!)));
        return new SupabaseProject("embedded", ToMigrations(files), ReadResource(assembly, "supabase/seed.sql"), ReadResource(assembly, "supabase/config.toml"));
    }

    /// <summary>Reads an embedded resource as text, or null when it is absent.</summary>
    internal static string? ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static List<MigrationFile> ToMigrations(IEnumerable<(string Name, Func<string> Read)> files)
    {
        var list = new List<MigrationFile>();
        foreach (var (name, read) in files)
        {
            // The CLI's pattern; other files in the folder are ignored as it does.
            var match = MigrationName().Match(name);
            if (!match.Success)
            {
                continue;
            }

            list.Add(new MigrationFile(match.Groups[1].Value, match.Groups[2].Value, name, read()));
        }

        list.Sort((a, b) => a.Version.Length != b.Version.Length
            ? a.Version.Length.CompareTo(b.Version.Length)
            : string.CompareOrdinal(a.Version, b.Version));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Version == list[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations share version {list[i].Version}: {list[i - 1].FileName} and {list[i].FileName}.");
            }
        }

        return list;
    }

    [GeneratedRegex(@"^([0-9]+)_(.*)\.sql$")]
    private static partial Regex MigrationName();
}
