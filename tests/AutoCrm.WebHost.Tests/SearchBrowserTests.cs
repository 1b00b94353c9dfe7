using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoCrm.WebHost.Tests;

/// <summary>Search and saved views in the browser: the agent searches from the header, sees the query language's errors
/// marked, opens a hit, saves the search as a view and watches its count change live.</summary>
public sealed class SearchBrowserTests(WebHostFixture app) : BrowserTest(app)
{
    [Fact]
    public Task Agent_searches_opens_a_hit_saves_a_view_and_sees_its_count_change_live() =>
        RunAsync(nameof(Agent_searches_opens_a_hit_saves_a_view_and_sees_its_count_change_live), async () =>
        {
            // A fresh queue worked by Alice, and a word no other ticket has.
            var word = "zq" + Guid.NewGuid().ToString("N")[..10];
            using var admin = await App.SdkAsAsync("admin@autocrm.demo", Ct);
            using var carol = await App.SdkAsAsync("carol@customer.demo", Ct);
            var queue = await admin.Queues.CreateAsync(new NewQueue { Name = "Search " + word, Slug = "s-" + word }, Ct);
            var alice = (await admin.Profiles.ListAsync(UserRole.Agent, Ct).ToListAsync(Ct)).Single(p => p.Email == "agent.alice@autocrm.demo");
            await admin.Queues.AddMemberAsync(queue.Id, alice.Id, Ct);
            var first = await carol.Tickets.CreateAsync(
                new NewTicket { Subject = "Scanner stops mid-page", QueueId = queue.Id, Description = $"The {word} model stops halfway through every scan." },
                Ct);

            var agent = await SignInAsync("agent.alice@autocrm.demo", "Workspace");

            // A query the language cannot read is shown back with the bad token marked.
            await agent.GetByTestId("search-box").FillAsync($"stauts:open {word}");
            await agent.GetByTestId("search-box").PressAsync("Enter");
            await Expect(agent.GetByTestId("search-error")).ToContainTextAsync("stauts", Contains);
            await Expect(agent.GetByTestId("search-error-token")).ToHaveTextAsync("stauts:open", Text);

            // Searching the word finds the ticket, quoting the description with the word highlighted.
            await agent.GetByTestId("search-query").FillAsync(word);
            await agent.GetByTestId("search-query").PressAsync("Enter");
            var hit = agent.GetByTestId("search-hit");
            await Expect(hit).ToHaveCountAsync(1, Count);
            await Expect(hit.GetByTestId("search-snippet").Locator("mark")).ToHaveTextAsync(word, Text);

            // Opening it leads to the ticket.
            await hit.GetByRole(AriaRole.Link).ClickAsync();
            await Expect(agent.GetByTestId("ticket-subject")).ToHaveTextAsync(first.Subject, Text);

            // Back on the results, the search is saved as a view; the workspace shows it with its count, live.
            await agent.GoBackAsync();
            await agent.GetByTestId("view-name").FillAsync("Scanner " + word);
            await agent.GetByTestId("save-view-button").ClickAsync();
            await Expect(agent.GetByRole(AriaRole.Heading, new() { Name = "Workspace" })).ToBeVisibleAsync(Visible);
            var row = agent.Locator($"[data-testid=saved-view][data-view-name='Scanner {word}']");
            await Expect(row.GetByTestId("view-count")).ToHaveTextAsync("1", Text);
            await Expect(agent.GetByTestId("views-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);

            // A matching ticket is filed: the count changes without a reload.
            await carol.Tickets.CreateAsync(new NewTicket { Subject = $"Second {word} scanner", QueueId = queue.Id }, Ct);
            await Expect(row.GetByTestId("view-count")).ToHaveTextAsync("2", Text);
        });
}
