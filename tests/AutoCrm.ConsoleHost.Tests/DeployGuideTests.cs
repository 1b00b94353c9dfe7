using System.Text.RegularExpressions;
using AutoCrm.DevStack.Tests.Infrastructure;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary>
/// docs/deploy.md walked through on a DevStack standing in for the hosted project: every shell block of the page is
/// marked, with an HTML comment just above it, as <c>deploy-guide: run</c> (run as written, in page order, from the
/// repository root), <c>deploy-guide: serve until "LINE"</c> (a server: started, awaited until it prints LINE, checked,
/// stopped with SIGTERM, exit 0) or <c>deploy-guide: not run: REASON</c>. The page's "How this page is tested" says
/// which values stand in for the project's.
/// </summary>
public sealed partial class DeployGuideTests(DevStackFixture stack)
{
    private const string FirstAdmin = "you@example.com";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public void Every_shell_block_of_the_guide_is_run_or_says_why_it_cannot_be()
    {
        var blocks = GuideBlocks();

        Assert.All(blocks, b => Assert.True(b.Mode is not null, $"docs/deploy.md:{b.Line}: a shell block without a deploy-guide marker above it"));
        Assert.All(blocks.Where(b => b.Mode == "not run"), b => Assert.False(string.IsNullOrWhiteSpace(b.Argument), $"docs/deploy.md:{b.Line}: no reason given"));
        // The ones a reader needs for steps 5 to 8 run: the first admin, the doctor, and both hosts from their publish output.
        Assert.Contains(blocks, b => b.Mode == "run" && b.Script.Contains("set_user_role", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Mode == "run" && b.Script.Contains("autocrm doctor", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Mode == "serve" && b.Script.Contains("dotnet AutoCrm.WebHost.dll", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Mode == "serve" && b.Script.Contains("dotnet autocrm.dll watch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_guide_runs_end_to_end_against_a_devstack_standing_in_for_the_project()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anon = new CrmClient(new CrmClientOptions { Url = stack.Server.Url, ApiKey = stack.Server.AnonKey, SessionStore = new InMemorySessionStore() });
        await anon.Auth.SignUpAsync(FirstAdmin, "first-admin-password", cancellationToken: ct);
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = AppContext.BaseDirectory.TrimEnd('/') + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["AUTOCRM_HOME"] = TestPaths.NewDirectory("guide-home-"),
            ["NO_COLOR"] = "1",
        };

        var ran = 0;
        foreach (var block in GuideBlocks().Where(b => b.Mode is "run" or "serve"))
        {
            var script = Substitute(block.Script);
            if (block.Mode == "run")
            {
                await RunAsync(block, script, environment);
            }
            else
            {
                await ServeAsync(block, script, environment);
            }

            ran++;
        }

        Assert.Equal(6, ran);
        using var service = stack.ServiceClient();
        var profiles = await service.Profiles.ListAsync(cancellationToken: ct).ToListAsync(ct);
        Assert.Equal(UserRole.Admin, profiles.Single(p => p.Email == FirstAdmin).Role);
    }

    private async Task RunAsync(GuideBlock block, string script, Dictionary<string, string> environment)
    {
        using var bash = ServerProcess.Start("bash", ["-euo", "pipefail", "-c", script], environment, PublishedApp.RepositoryRoot());
        var exitCode = await bash.WaitForExitAsync(CommandTimeout);
        Assert.True(exitCode == 0, $"docs/deploy.md:{block.Line} exited {exitCode}:\n{script}\n{bash.Output}\n{bash.Error}");
    }

    /// <summary>A server block: the web host listens on a free port (ASPNETCORE_URLS wins over the page's
    /// ASPNETCORE_HTTP_PORTS); once it listens, its liveness and readiness must answer 200.</summary>
    private static async Task ServeAsync(GuideBlock block, string script, Dictionary<string, string> environment)
    {
        var serving = new Dictionary<string, string>(environment) { ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" };
        using var server = ServerProcess.Start("bash", ["-euo", "pipefail", "-c", script], serving, PublishedApp.RepositoryRoot());
        await server.WaitForLineAsync(l => l.Contains(block.Argument!, StringComparison.Ordinal), CommandTimeout);
        if (ListeningOn().Match(server.Output) is { Success: true } listening)
        {
            using var http = new HttpClient { BaseAddress = new Uri(listening.Groups[1].Value) };
            foreach (var path in new[] { "/healthz", "/readyz" })
            {
                using var response = await http.GetAsync(path, TestContext.Current.CancellationToken);
                Assert.True(response.IsSuccessStatusCode, $"docs/deploy.md:{block.Line}: {path} answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            }
        }

        PublishedApp.SignalApp(server, "TERM");
        var exitCode = await server.WaitForExitAsync(CommandTimeout);
        Assert.True(exitCode == 0, $"docs/deploy.md:{block.Line} exited {exitCode} on SIGTERM:\n{server.Output}\n{server.Error}");
    }

    /// <summary>The DevStack's values for the project's; <c>dotnet publish</c> reuses the tests' build.</summary>
    private string Substitute(string script)
    {
        var substituted = script
            .Replace("https://<project>.supabase.co", stack.Server.Url.ToString().TrimEnd('/'), StringComparison.Ordinal)
            .Replace("<anon key>", stack.Server.AnonKey, StringComparison.Ordinal)
            .Replace("<service_role key>", stack.Server.ServiceRoleKey, StringComparison.Ordinal)
            .Replace("<database url>", stack.Server.DatabaseUrl, StringComparison.Ordinal)
            .Replace("dotnet publish ", "dotnet publish --no-build ", StringComparison.Ordinal);
#if DEBUG
        substituted = substituted.Replace("-c Release", "-c Debug", StringComparison.Ordinal);
#endif
        Assert.DoesNotMatch(Placeholder(), substituted);
        return substituted;
    }

    private static List<GuideBlock> GuideBlocks()
    {
        var lines = File.ReadAllLines(Path.Combine(PublishedApp.RepositoryRoot(), "docs", "deploy.md"));
        var blocks = new List<GuideBlock>();
        var marker = (string?)null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                var start = i;
                var body = new List<string>();
                for (i++; i < lines.Length && !lines[i].Trim().StartsWith("```", StringComparison.Ordinal); i++)
                {
                    body.Add(lines[i]);
                }

                if (line[3..] is "bash" or "sh" or "shell")
                {
                    var match = marker is null ? null : Marker().Match(marker);
                    blocks.Add(new GuideBlock(
                        start + 1,
                        match is { Success: true } ? match.Groups["mode"].Value : null,
                        match is { Success: true } ? match.Groups["argument"].Value : null,
                        string.Join('\n', body)));
                }

                marker = null;
            }
            else if (line.Length > 0)
            {
                marker = line;
            }
        }

        return blocks;
    }

    private sealed record GuideBlock(int Line, string? Mode, string? Argument, string Script);

    [GeneratedRegex("""^<!-- deploy-guide: (?:(?<mode>run)|(?<mode>serve) until "(?<argument>[^"]+)"|(?<mode>not run): (?<argument>.+)) -->$""")]
    private static partial Regex Marker();

    [GeneratedRegex(@"<[a-z][a-z _]*>")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
