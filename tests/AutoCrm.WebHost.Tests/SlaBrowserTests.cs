using System.Globalization;
using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Sla;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Pages;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// SLA badges in the browser: a ticket with a one-minute first-reply target shows "first reply due" on the queue board,
/// the ticket page and the agent's "breaching soon" list; when the scheduler (run here with an explicit <c>now</c>)
/// records the breach, all three turn red live, without a reload. The badge's levels are checked without a browser.
/// </summary>
public sealed class SlaBrowserTests(WebHostFixture app) : BrowserTest(app)
{
    [Fact]
    public Task The_SLA_badge_turns_red_live_when_the_breach_is_recorded() =>
        RunAsync(nameof(The_SLA_badge_turns_red_live_when_the_breach_is_recorded), async () =>
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            using var admin = await App.SdkAsAsync("admin@autocrm.demo", Ct);
            var queue = await admin.Queues.CreateAsync(new NewQueue { Name = "SLA " + run, Slug = "sla-" + run }, Ct);
            var alice = (await admin.Profiles.ListAsync(UserRole.Agent, Ct).ToListAsync(Ct)).Single(p => p.Email == "agent.alice@autocrm.demo");
            await admin.Queues.AddMemberAsync(queue.Id, alice.Id, Ct);
            var policy = await admin.Sla.CreatePolicyAsync(new NewSlaPolicy
            {
                Name = "Badge " + run,
                Position = -1000,
                Conditions = TicketConditions.AllOf(ConditionField.Tags.Contains("sla-" + run)),
                Targets = new Dictionary<string, SlaTargets> { ["normal"] = new() { FirstReply = 1, Resolution = 100_000 } },
            }, Ct);
            try
            {
                var ticket = await admin.Tickets.CreateAsync(new NewTicket { Subject = $"Badge {run}", QueueId = queue.Id, Tags = ["sla-" + run] }, Ct);

                var agent = await SignInAsync("agent.alice@autocrm.demo", "Workspace");
                var board = await OpenAsync(agent.Context);
                var breaching = await OpenAsync(agent.Context);
                await agent.GotoAsync($"/tickets/{ticket.Number}");
                await board.GotoAsync($"/agent/queues/{queue.Slug}");
                await breaching.GotoAsync("/agent/breaching");
                var onTicket = agent.GetByTestId("ticket-sla").GetByTestId("sla-badge");
                var onBoard = board.Locator($"[data-testid=board-ticket][data-number='{ticket.Number}']").GetByTestId("sla-badge");
                var inList = breaching.Locator($"[data-testid=breaching-ticket][data-number='{ticket.Number}']").GetByTestId("sla-badge");
                foreach (var badge in new[] { onTicket, onBoard, inList })
                {
                    await Expect(badge).ToContainTextAsync("first reply due", Contains);
                }

                await Expect(agent.GetByTestId("ticket-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);
                await Expect(board.GetByTestId("board-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);
                await Expect(breaching.GetByTestId("breaching-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);

                // The scheduler runs just after the target was due: the breach is recorded, and every badge turns red.
                await using var service = new CrmClient(new CrmClientOptions { Url = App.DevStack.Url, ApiKey = App.DevStack.ServiceRoleKey });
                await service.Rest.Rpc("run_due_automations", new JsonObject
                {
                    ["now"] = ticket.CreatedAt.AddMinutes(1).AddMilliseconds(1).ToString("O", CultureInfo.InvariantCulture),
                }).ToJsonAsync(Ct);

                foreach (var badge in new[] { onTicket, onBoard, inList })
                {
                    await Expect(badge).ToHaveAttributeAsync("data-sla-level", "breached", Attribute);
                    await Expect(badge).ToHaveTextAsync("first reply breached", Text);
                }
            }
            finally
            {
                await admin.Sla.DeletePolicyAsync(policy.Id, Ct);
            }
        });

    [Fact]
    public void The_badge_is_plain_amber_under_a_quarter_left_and_red_when_breached()
    {
        var now = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        var running = new TicketSlaState { Metric = "first_reply", DueAt = now.AddMinutes(12), TargetMinutes = 60 };
        Assert.Equal(new SlaBadge("first reply due in 12 min", "warn"), SlaBadge.For(running, now));
        Assert.Equal(new SlaBadge("first reply due in 16 min", "ok"), SlaBadge.For(running with { DueAt = now.AddMinutes(16) }, now));
        Assert.Equal(new SlaBadge("resolution due in 3 h 5 min", "ok"), SlaBadge.For(running with { Metric = "resolution", DueAt = now.AddMinutes(185), TargetMinutes = 480 }, now));
        Assert.Equal(new SlaBadge("first reply due now", "warn"), SlaBadge.For(running with { DueAt = now.AddSeconds(-5) }, now));
        Assert.Equal(new SlaBadge("next reply breached", "breached"), SlaBadge.For(running with { BreachedMetric = "next_reply", BreachedAt = now }, now));
        Assert.Null(SlaBadge.For(null, now));
        Assert.Null(SlaBadge.For(new TicketSlaState(), now));
    }
}
