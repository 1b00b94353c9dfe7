using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace AutoCrm.Sdk.Tests.Contract;

/// <summary>
/// What a consumer downloads: AutoCrm.Sdk packed by <c>dotnet pack</c> (an incremental build of both target frameworks
/// first) into a folder of this run.
/// </summary>
public sealed class PackageFixture : IAsyncLifetime
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly string _output = Path.Combine(Path.GetTempPath(), "autocrm-package-" + Guid.NewGuid().ToString("N"));

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Version { get; } = typeof(CrmClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
        .InformationalVersion.Split('+')[0];

    public string PackagePath => Path.Combine(_output, $"AutoCrm.Sdk.{Version}.nupkg");

    public string SymbolsPath => Path.ChangeExtension(PackagePath, ".snupkg");

    public async ValueTask InitializeAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "pack", Path.Combine(RepositoryRoot, "src", "AutoCrm.Sdk"), "-c", Configuration, "-nologo", "-clp:ErrorsOnly", "-o", _output },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        using var pack = Process.Start(start)!;
        var output = pack.StandardOutput.ReadToEndAsync();
        var error = pack.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await pack.WaitForExitAsync(timeout.Token);
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{await output}\n{await error}");
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_output))
        {
            Directory.Delete(_output, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    public static XDocument Nuspec(ZipArchive package)
    {
        using var stream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }

    private static string FindRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AutoCrm.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        return root;
    }
}

/// <summary>The package's metadata, dependencies, XML docs and symbols, read from the nupkg a consumer gets.</summary>
public sealed partial class PackageTests(PackageFixture package) : IClassFixture<PackageFixture>
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    [Fact]
    public void The_package_names_its_repository_commit_and_a_version_that_follows_the_policy()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var nuspec = PackageFixture.Nuspec(zip);
        var ns = nuspec.Root!.Name.Namespace;
        var repository = nuspec.Descendants(ns + "repository").Single();
        Assert.Equal("https://github.com/autocrm/autocrm", (string?)repository.Attribute("url"));
        Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit") ?? "");

        // docs/versioning.md: a pre-release version until PublicAPI.Shipped.txt holds the 1.0 surface.
        var shipped = File.ReadAllLines(Path.Combine(PackageFixture.RepositoryRoot, "src", "AutoCrm.Sdk", "PublicAPI.Shipped.txt"))
            .Count(l => l.Trim().Length > 0 && !l.StartsWith('#'));
        var version = (string)nuspec.Descendants(ns + "version").Single();
        Assert.Equal(PackageFixture.Version, version);
        if (shipped == 0)
        {
            Assert.Contains("-", version, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Each_target_framework_depends_on_the_Microsoft_Extensions_of_its_own_release()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var nuspec = PackageFixture.Nuspec(zip);
        var ns = nuspec.Root!.Name.Namespace;
        var groups = nuspec.Descendants(ns + "group").ToDictionary(g => (string)g.Attribute("targetFramework")!);
        Assert.Equal(["net10.0", "net8.0"], groups.Keys.Order(StringComparer.Ordinal));
        foreach (var (framework, major) in new[] { ("net8.0", "8."), ("net10.0", "10.") })
        {
            var extensions = groups[framework].Elements(ns + "dependency")
                .Where(d => ((string)d.Attribute("id")!).StartsWith("Microsoft.Extensions.", StringComparison.Ordinal))
                .ToList();
            Assert.NotEmpty(extensions);
            Assert.All(extensions, d => Assert.StartsWith(major, (string)d.Attribute("version")!, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_xml_docs_describe_public_types_only()
    {
        var sdk = typeof(CrmClient).Assembly;
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var docs = zip.Entries.Where(e => e.FullName.EndsWith("/AutoCrm.Sdk.xml", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, docs.Count);
        foreach (var entry in docs)
        {
            using var stream = entry.Open();
            var names = XDocument.Load(stream).Descendants("member").Select(m => (string)m.Attribute("name")!).ToList();
            Assert.NotEmpty(names);
            Assert.DoesNotContain(names, n => InternalNamespace().IsMatch(n));
            foreach (var type in names.Where(n => n.StartsWith("T:", StringComparison.Ordinal)).Select(n => n[2..]))
            {
                var resolved = sdk.GetType(type) ?? sdk.GetType(NestedName().Replace(type, "$1+$2"));
                Assert.True(resolved is { IsVisible: true }, $"{entry.FullName} documents {type}, which is not a public type");
            }
        }
    }

    [Fact]
    public void The_pdbs_carry_no_build_paths_and_link_every_document_to_the_repository()
    {
        using var zip = ZipFile.OpenRead(package.SymbolsPath);
        var pdbs = zip.Entries.Where(e => e.FullName.EndsWith("/AutoCrm.Sdk.pdb", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, pdbs.Count);
        foreach (var entry in pdbs)
        {
            using var copy = new MemoryStream();
            using (var stream = entry.Open())
            {
                stream.CopyTo(copy);
            }

            copy.Position = 0;
            using var provider = MetadataReaderProvider.FromPortablePdbStream(copy);
            var pdb = provider.GetMetadataReader();
            var documents = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name)).ToList();
            Assert.NotEmpty(documents);
            Assert.All(documents, d => Assert.StartsWith("/_/", d, StringComparison.Ordinal));
            Assert.DoesNotContain(documents, d => d.Contains(PackageFixture.RepositoryRoot, StringComparison.Ordinal));

            var sourceLink = pdb.CustomDebugInformation
                .Select(pdb.GetCustomDebugInformation)
                .Where(c => pdb.GetGuid(c.Kind) == SourceLinkKind)
                .Select(c => System.Text.Encoding.UTF8.GetString(pdb.GetBlobBytes(c.Value)))
                .SingleOrDefault();
            Assert.NotNull(sourceLink);
            Assert.Matches("\"/_/\\*\":\"https://raw.githubusercontent.com/autocrm/autocrm/[0-9a-f]{40}/\\*\"", sourceLink);
        }
    }

    [Fact]
    public void The_package_readme_is_the_sdk_readme_and_shows_how_to_install()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        using var reader = new StreamReader(zip.GetEntry("README.md")!.Open());
        var readme = reader.ReadToEnd();
        Assert.Equal(File.ReadAllText(Path.Combine(PackageFixture.RepositoryRoot, "src", "AutoCrm.Sdk", "README.md")), readme);
        Assert.Contains("dotnet add package AutoCrm.Sdk", readme, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[A-Z]:AutoCrm\.Sdk\.(Internal|Realtime\.Protocol|Realtime\.Streams)\.")]
    private static partial Regex InternalNamespace();

    [GeneratedRegex(@"^(.*)\.([^.]+)$")]
    private static partial Regex NestedName();
}
