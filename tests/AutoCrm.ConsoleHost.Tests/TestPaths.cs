namespace AutoCrm.ConsoleHost.Tests;

/// <summary>All files the tests write (config directories, embedded clusters, import/export files) live under one
/// temporary root that the assembly fixture deletes at the end.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> LazyRoot = new(() => Directory.CreateTempSubdirectory("autocrm-console-tests-").FullName);

    internal static string Root => LazyRoot.Value;

    internal static string NewDirectory(string prefix) => Directory.CreateDirectory(Path.Combine(Root, prefix + Guid.NewGuid().ToString("N")[..8])).FullName;

    internal static void DeleteAll()
    {
        if (LazyRoot.IsValueCreated && Directory.Exists(LazyRoot.Value))
        {
            Directory.Delete(LazyRoot.Value, recursive: true);
        }
    }
}
