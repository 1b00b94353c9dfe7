using System.Text.RegularExpressions;

namespace AutoCrm.Sdk.Tests.Contract;

/// <summary>
/// The repository stands alone: code, comments and docs point only at files inside it, and every
/// docs page anchor they cite (<c>docs/protocols.md#framing</c>) names a heading that exists.
/// </summary>
public sealed partial class RepositoryReferenceTests
{
    private static readonly string[] Folders = ["src", "samples", "tests", "bench", "docs", "scripts", "supabase"];
    private static readonly string[] Extensions = [".cs", ".md", ".sql", ".props", ".targets", ".csproj", ".js", ".mjs", ".sh", ".cshtml", ".json", ".toml"];

    [Fact]
    public void No_file_cites_documents_outside_the_repository()
    {
        // Spelled in pieces so that this file does not match itself.
        string[] outside = ["PROTOCOLS" + " §", "PROTOCOLS" + ".md", "DESIGN" + ".md", "STYLE" + ".md", "shared" + "/docs", "../" + "shared/"];
        var offenders = Files()
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => outside.Any(o => l.Text.Contains(o, StringComparison.Ordinal)) || BareSection().IsMatch(l.Text))
            .Select(l => $"{Path.GetRelativePath(PackageFixture.RepositoryRoot, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "References outside the repository:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void No_file_holds_merge_conflict_markers()
    {
        // A conflict resolved by committing both sides leaves these lines behind, and nothing else notices them.
        var files = Files().Append(Path.Combine(PackageFixture.RepositoryRoot, "README.md"));
        var offenders = files
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => ConflictMarker().IsMatch(l.Text))
            .Select(l => $"{Path.GetRelativePath(PackageFixture.RepositoryRoot, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "Merge conflict markers:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Every_cited_docs_anchor_names_a_heading_of_that_page()
    {
        var anchors = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string> AnchorsOf(string page)
        {
            if (!anchors.TryGetValue(page, out var set))
            {
                var path = Path.Combine(PackageFixture.RepositoryRoot, "docs", page);
                set = File.Exists(path)
                    ? File.ReadLines(path).Where(l => l.StartsWith('#')).Select(l => Slug(l.TrimStart('#').Trim())).ToHashSet(StringComparer.Ordinal)
                    : [];
                anchors[page] = set;
            }

            return set;
        }

        var cited = 0;
        var broken = new List<string>();
        foreach (var file in Files())
        {
            var text = File.ReadAllText(file);
            var inDocs = Path.GetDirectoryName(file) == Path.Combine(PackageFixture.RepositoryRoot, "docs");
            var references = DocsAnchor().Matches(text).Select(m => (Page: m.Groups["page"].Value, Anchor: m.Groups["anchor"].Value));
            if (inDocs)
            {
                references = references.Concat(LocalLink().Matches(text).Select(m => (Page: m.Groups["page"].Value, Anchor: m.Groups["anchor"].Value)));
            }

            foreach (var (page, anchor) in references)
            {
                cited++;
                if (!AnchorsOf(page).Contains(anchor))
                {
                    broken.Add($"{Path.GetRelativePath(PackageFixture.RepositoryRoot, file)}: docs/{page}#{anchor}");
                }
            }
        }

        Assert.True(cited > 30, $"only {cited} docs anchors cited; is the pattern still right?");
        Assert.True(broken.Count == 0, "Anchors that no heading has:\n" + string.Join("\n", broken.Distinct()));
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.</summary>
    private static string Slug(string heading) =>
        string.Concat(heading.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')).Replace(' ', '-');

    private static IEnumerable<string> Files() => Folders
        .Select(f => Path.Combine(PackageFixture.RepositoryRoot, f))
        .Where(Directory.Exists)
        .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories))
        .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.Ordinal))
        .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules"));

    /// <summary>A line git writes around a conflict: seven &lt; or &gt; and a label, or exactly seven =.</summary>
    [GeneratedRegex(@"^(<{7} |>{7} |={7}$)")]
    private static partial Regex ConflictMarker();

    /// <summary>A section sign before a number that is not part of an RFC citation.</summary>
    [GeneratedRegex(@"(?<!RFC \d+ )§\s*\d")]
    private static partial Regex BareSection();

    [GeneratedRegex(@"docs/(?<page>[a-z0-9-]+\.md)#(?<anchor>[a-z0-9_-]+)")]
    private static partial Regex DocsAnchor();

    [GeneratedRegex(@"\]\((?<page>[a-z0-9-]+\.md)#(?<anchor>[a-z0-9_-]+)\)")]
    private static partial Regex LocalLink();
}
