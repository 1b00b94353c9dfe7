using AutoCrm.Sdk.Tickets;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// "Summarise" and "Suggest reply" in the browser with the fixture's scripted chat model: the summary shows on the ticket
/// page; the suggestion lands in the reply box, the agent edits it and sends it, and the customer reads the edited reply.
/// </summary>
public sealed class AssistantBrowserTests(WebHostFixture app) : BrowserTest(app)
{
    [Fact]
    public Task Agent_reads_a_summary_gets_a_suggested_reply_in_the_reply_box_edits_and_sends_it() =>
        RunAsync(nameof(Agent_reads_a_summary_gets_a_suggested_reply_in_the_reply_box_edits_and_sends_it), async () =>
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            using var admin = await App.SdkAsAsync("admin@autocrm.demo", Ct);
            using var carol = await App.SdkAsAsync("carol@customer.demo", Ct);
            var billing = (await admin.Queues.ListAsync(Ct).ToListAsync(Ct)).Single(q => q.Slug == "billing");
            var ticket = await carol.Tickets.CreateAsync(
                new NewTicket { Subject = $"Charged twice ({run})", Description = $"My card was charged twice for order {run}." }, Ct);
            await admin.Tickets.UpdateAsync(ticket.Id, new TicketPatch { QueueId = billing.Id }, cancellationToken: Ct);

            var agent = await SignInAsync("agent.alice@autocrm.demo", "Workspace");
            await agent.GotoAsync($"/tickets/{ticket.Number}");
            await Expect(agent.GetByTestId("reply-body")).ToHaveValueAsync("", new() { Timeout = 30_000 });

            await agent.GetByTestId("summarize").ClickAsync();
            var summary = agent.GetByTestId("ticket-summary");
            await Expect(summary).ToContainTextAsync(ScriptedChatClient.SummaryText, Contains);
            await Expect(summary).ToContainTextAsync(ScriptedChatClient.OpenQuestion, Contains);
            await Expect(summary).ToContainTextAsync("scripted-model", Contains);

            await agent.GetByTestId("suggest-reply").ClickAsync();
            var box = agent.GetByTestId("reply-body");
            await Expect(box).ToHaveValueAsync(ScriptedChatClient.ReplyText, new() { Timeout = 30_000 });
            var edited = ScriptedChatClient.ReplyText + $" The refund for {run} goes out today.";
            await box.FillAsync(edited);
            await agent.GetByTestId("send-reply").ClickAsync();
            await Expect(agent.GetByRole(AriaRole.Status)).ToContainTextAsync("Reply sent.", Contains);

            var messages = await carol.Tickets.ListMessagesAsync(ticket.Id, Ct).ToListAsync(Ct);
            var reply = Assert.Single(messages, m => m.Body.Contains("refund for", StringComparison.Ordinal));
            Assert.Equal(edited, reply.Body);
            Assert.Equal(MessageVisibility.Public, reply.Visibility);
            lock (App.Chat.Prompts)
            {
                Assert.Contains(App.Chat.Prompts, p => p.Contains($"charged twice for order {run}", StringComparison.Ordinal));
            }
        });
}
