// The snippets are what users copy: plain calls, without the test's cancellation token.
#pragma warning disable xUnit1051

using System.Text.Json.Serialization;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>A caller's own row type for the REST builder.</summary>
public sealed record TicketSummary(Guid Id, string Subject, string Status);

/// <summary>A caller's own source-generated JSON context.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TicketSummary))]
public sealed partial class MyJsonContext : JsonSerializerContext;

/// <summary>
/// The code of docs/getting-started.md, compiled and run against the DevStack's demo data. The page is checked to
/// contain each region verbatim, so the documentation cannot drift from code that builds.
/// </summary>
public sealed class GettingStartedTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_getting_started_walkthrough_runs()
    {
        var url = stack.Server.Url.ToString();
        var anonKey = stack.Server.AnonKey;
        var output = new StringWriter();
        var console = output;

        #region connect
        using var crm = new CrmClient(new CrmClientOptions
        {
            Url = new Uri(url),      // e.g. http://127.0.0.1:54321
            ApiKey = anonKey,        // the anon (or sb_publishable_...) key
        });

        await crm.Auth.SignInWithPasswordAsync("carol@customer.demo", "autocrm-demo");
        #endregion

        #region create
        var ticket = await crm.Tickets.CreateAsync(new NewTicket
        {
            Subject = "Cannot print invoices",
            Priority = TicketPriority.High,
            Tags = ["billing"],
            Description = "The print button does nothing since this morning.",
        });
        console.WriteLine($"Opened #{ticket.Number}: {ticket.Subject}");

        var full = await crm.Tickets.GetAsync(ticket.Id, TicketInclude.Conversation);
        console.WriteLine($"{full.ConversationHistory!.Count} message(s)");
        #endregion

        #region list
        var query = new TicketQuery { Statuses = [TicketStatus.New, TicketStatus.Open], Descending = true, PageSize = 50 };
        await foreach (var t in crm.Tickets.ListAsync(query))
        {
            console.WriteLine($"#{t.Number} {t.Status} {t.Subject}");
        }
        #endregion

        #region rest
        var recent = await crm.Rest.From("tickets")
            .Select("id,subject,status")
            .Eq("priority", "high")
            .In("status", ["new", "open"])
            .Order("created_at", descending: true)
            .Limit(20)
            .ToListAsync(MyJsonContext.Default.TicketSummary);
        #endregion

        #region agent
        using var agent = new CrmClient(new CrmClientOptions { Url = new Uri(url), ApiKey = anonKey });
        await agent.Auth.SignInWithPasswordAsync("agent.alice@autocrm.demo", "autocrm-demo");

        var next = await agent.Queues.ClaimNextAsync();   // from the agent's queues; null when there is nothing to claim
        if (next is not null)
        {
            await agent.Tickets.ReplyAsync(next.Id, "Thanks, we're looking into it.");
            await agent.Tickets.UpdateAsync(next.Id, new TicketPatch { Status = TicketStatus.Pending });
        }
        #endregion

        #region errors
        await crm.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Tags = ["billing", "printing"] });
        try
        {
            // ticket.Version is now stale: the update above bumped it.
            await crm.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Subject = "Edited" }, expectedVersion: ticket.Version);
        }
        catch (CrmConflictException ex)
        {
            console.WriteLine($"Someone else changed it first ({ex.Code}); reload and try again.");
        }
        catch (CrmNotFoundException)
        {
            console.WriteLine("The ticket is gone, or you may not see it.");
        }
        #endregion

        Assert.Contains(recent, r => r.Id == ticket.Id);
        Assert.Contains($"Opened #{ticket.Number}: Cannot print invoices", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 message(s)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Someone else changed it first (version_mismatch)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_dependency_injection_snippet_registers_a_client()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AutoCrm:Url"] = stack.Server.Url.ToString(),
            ["AutoCrm:ApiKey"] = stack.Server.AnonKey,
        }).Build();
        var services = new ServiceCollection();

        #region di
        services.AddAutoCrm(configuration.GetSection("AutoCrm"));
        #endregion

        using var provider = services.BuildServiceProvider();
        Assert.NotNull(provider.GetRequiredService<CrmClient>());
    }

    [Fact]
    public async Task The_page_shows_each_region_verbatim()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "AutoCrm.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var source = await File.ReadAllLinesAsync(Path.Combine(root, "tests", "AutoCrm.Sdk.Tests", "Integration", "GettingStartedTests.cs"), Ct);
        var page = (await File.ReadAllTextAsync(Path.Combine(root, "docs", "getting-started.md"), Ct)).ReplaceLineEndings("\n");
        foreach (var region in new[] { "connect", "create", "list", "rest", "agent", "errors", "di" })
        {
            var start = Array.FindIndex(source, l => l.Trim() == "#region " + region) + 1;
            var end = Array.FindIndex(source, start, l => l.Trim() == "#endregion");
            var lines = source[start..end];
            var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
            var code = string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
            Assert.True(page.Contains(code, StringComparison.Ordinal), $"docs/getting-started.md does not show region '{region}' verbatim:\n{code}");
        }
    }
}
