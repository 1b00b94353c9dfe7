using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Agents;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Sla;
using AutoCrm.Sdk.Tickets;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// The whole support conversation in real headless Chromium (Debian's /usr/bin/chromium), two browser contexts side by
/// side, every wait an auto-waiting expectation. On failure each open page is saved to test-results/.
/// </summary>
public sealed class BrowserFlowTests(WebHostFixture app) : BrowserTest(app)
{
    [Fact]
    public Task Customer_and_agent_work_a_ticket_live_and_the_customer_never_sees_the_internal_note() =>
        RunAsync(nameof(Customer_and_agent_work_a_ticket_live_and_the_customer_never_sees_the_internal_note), WorkATicketAsync);

    [Fact]
    public Task A_customer_rates_a_solved_ticket_and_the_admin_dashboards_csat_changes() =>
        RunAsync(nameof(A_customer_rates_a_solved_ticket_and_the_admin_dashboards_csat_changes), RateATicketAsync);

    private async Task RateATicketAsync()
    {
        // Arrange through the public API: a queue of this test's own (the dashboard is filtered to it), a ticket of Carol's
        // that Alice answers and solves.
        using var admin = await App.SdkAsAsync("admin@autocrm.demo", Ct);
        var slug = "csat-" + Guid.NewGuid().ToString("N")[..8];
        var queue = await admin.Queues.CreateAsync(new NewQueue { Name = "CSAT " + slug, Slug = slug }, Ct);
        var alice = (await admin.Profiles.ListAsync(UserRole.Agent, Ct).ToListAsync(Ct)).Single(p => p.Email == "agent.alice@autocrm.demo");
        await admin.Queues.AddMemberAsync(queue.Id, alice.Id, Ct);
        using var carol = await App.SdkAsAsync("carol@customer.demo", Ct);
        var ticket = await carol.Tickets.CreateAsync(new NewTicket { Subject = $"Rate me ({slug})", QueueId = queue.Id }, Ct);
        using var agent = await App.SdkAsAsync("agent.alice@autocrm.demo", Ct);
        await agent.Tickets.ReplyAsync(ticket.Id, "Fixed: the cable was loose.", cancellationToken: Ct);
        await agent.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Solved, AssigneeId = alice.Id }, cancellationToken: Ct);

        // The admin's dashboard for that queue: one ticket created and solved, no rating yet; Chart.js (vendored) draws.
        var dashboard = await SignInAsync("admin@autocrm.demo", "Workspace");
        await dashboard.GotoAsync($"/admin/reports?queue={queue.Id}");
        await Expect(dashboard.GetByTestId("card-created")).ToHaveTextAsync("1", Text);
        await Expect(dashboard.GetByTestId("card-solved")).ToHaveTextAsync("1", Text);
        await Expect(dashboard.GetByTestId("card-csat")).ToHaveTextAsync("–", Text);
        await Expect(dashboard.GetByTestId("card-ratings")).ToHaveTextAsync("0 ratings", Text);
        await Expect(dashboard.GetByTestId("report-chart")).ToHaveAttributeAsync("data-drawn", "true", Attribute);

        // Carol rates the solved ticket on its page.
        var customer = await SignInAsync("carol@customer.demo", "My tickets");
        await customer.GotoAsync($"/tickets/{ticket.Number}");
        await Expect(customer.GetByTestId("rating-form")).ToBeVisibleAsync(Visible);
        await customer.GetByLabel("Good").CheckAsync();
        await customer.GetByTestId("rating-comment").FillAsync("Quick and friendly");
        await customer.GetByTestId("rate-ticket").ClickAsync();
        await Expect(customer.Locator(".flash.notice")).ToHaveTextAsync("Thank you for your rating.", Text);
        await Expect(customer.GetByTestId("rating-given")).ToContainTextAsync("Good", Contains);

        // The dashboard's CSAT changes: one rating, satisfied.
        await dashboard.ReloadAsync();
        await Expect(dashboard.GetByTestId("card-csat")).ToHaveTextAsync("100 %", Text);
        await Expect(dashboard.GetByTestId("card-ratings")).ToHaveTextAsync("1 ratings", Text);
        await Expect(dashboard.GetByTestId("leaderboard")).ToContainTextAsync("100 %", Contains);

        // The CSV export has a row per day and today's solve.
        var csvHref = await dashboard.GetByTestId("report-csv").GetAttributeAsync("href");
        var csv = await (await dashboard.APIRequest.GetAsync(csvHref!)).TextAsync();
        Assert.StartsWith("date,tickets_created,tickets_solved,first_reply_median_minutes,resolution_median_minutes,csat_percent\r\n", csv, StringComparison.Ordinal);
        Assert.Matches(@"\r\n\d{4}-\d{2}-\d{2},1,1,", csv);

        // Alice sees her own numbers in her workspace.
        var workspace = await SignInAsync("agent.alice@autocrm.demo", "Workspace");
        await Expect(workspace.GetByTestId("my-stats")).ToBeVisibleAsync(Visible);
        await Expect(workspace.GetByTestId("my-solved")).ToHaveTextAsync(new Regex(@"^[1-9]\d*$"), Text);

        // Reopened and solved again, the ticket asks Carol to rate the new solve; the first solve's rating is not shown
        // as this one's.
        await agent.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Open }, cancellationToken: Ct);
        await agent.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Solved }, cancellationToken: Ct);
        await customer.ReloadAsync();
        await Expect(customer.GetByTestId("rate-ticket")).ToHaveTextAsync("Rate", Text);
        await Expect(customer.GetByTestId("rating-given")).ToHaveCountAsync(0);
        Assert.Single(await carol.Ratings.GetForTicketAsync(ticket.Id, Ct));
    }

    [Fact]
    public Task An_agent_toggles_away_and_stops_receiving_auto_assigned_tickets() =>
        RunAsync(nameof(An_agent_toggles_away_and_stops_receiving_auto_assigned_tickets), ToggleAwayAsync);

    [Fact]
    public Task The_SLA_badge_counts_down_and_turns_red_live_when_the_breach_is_recorded() =>
        RunAsync(nameof(The_SLA_badge_counts_down_and_turns_red_live_when_the_breach_is_recorded), SlaBreachLiveAsync);

    /// <summary>
    /// A ticket with a one-hour first-reply target shows "first reply due" on the queue board, the ticket page and the
    /// agent's "breaching soon" list; when the scheduler (run here with an explicit <c>now</c>: the clock's due time)
    /// records the breach, all three turn red live, without a reload. Before that, the badge counts down in the browser.
    /// </summary>
    private async Task SlaBreachLiveAsync()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        using var admin = await App.SdkAsAsync("admin@autocrm.demo", Ct);
        var queue = await admin.Queues.CreateAsync(new NewQueue { Name = "SLA " + run, Slug = "sla-" + run }, Ct);
        var alice = (await admin.Profiles.ListAsync(UserRole.Agent, Ct).ToListAsync(Ct)).Single(p => p.Email == "agent.alice@autocrm.demo");
        await admin.Queues.AddMemberAsync(queue.Id, alice.Id, Ct);

        // A policy of this test's own, first by position, matching only its tag; a one-hour target cannot run out on its
        // own while the pages open, however loaded the machine is (pg_cron runs the scheduler with the real time).
        var policy = await admin.Sla.CreatePolicyAsync(new NewSlaPolicy
        {
            Name = "Badge " + run,
            Position = -1000,
            Conditions = TicketConditions.AllOf(ConditionField.Tags.Contains("sla-" + run)),
            Targets = new Dictionary<string, SlaTargets> { ["normal"] = new() { FirstReply = 60, Resolution = 100_000 } },
        }, Ct);
        try
        {
            var ticket = await admin.Tickets.CreateAsync(new NewTicket { Subject = $"Badge {run}", QueueId = queue.Id, Tags = ["sla-" + run] }, Ct);
            var due = (await admin.Sla.ListClocksAsync(ticket.Id, Ct).ToListAsync(Ct)).Single(c => c.Metric == "first_reply").DueAt!.Value;

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
                await Expect(badge).ToContainTextAsync("first reply due in", Contains);
                await Expect(badge).ToHaveAttributeAsync("data-sla-level", "ok", Attribute);
            }

            // The badge counts down in the browser without a reload: a context of its own with Playwright's fake clock,
            // moved 50 minutes on (10 of the 60 left: below a quarter, amber), then past the due time.
            // The clock is paused at each point and then run for 30 s, which fires the badge's 30-second redraw.
            var countdown = await SignInAsync("agent.alice@autocrm.demo", "Workspace");
            var opened = DateTime.UtcNow;
            await countdown.Context.Clock.InstallAsync(new ClockInstallOptions { TimeDate = opened });
            await countdown.GotoAsync($"/tickets/{ticket.Number}");
            var counting = countdown.GetByTestId("ticket-sla").GetByTestId("sla-badge");
            await Expect(counting).ToHaveAttributeAsync("data-sla-level", "ok", Attribute);
            await countdown.Clock.PauseAtAsync(opened.AddMinutes(50));
            await countdown.Clock.RunForAsync(30_000);
            await Expect(counting).ToHaveTextAsync(new Regex(@"^first reply due in (8|9|10) min$"), Text);
            await Expect(counting).ToHaveAttributeAsync("data-sla-level", "warn", Attribute);
            await countdown.Clock.PauseAtAsync(opened.AddMinutes(65));
            await countdown.Clock.RunForAsync(30_000);
            await Expect(counting).ToHaveTextAsync("first reply due now", Text);

            await Expect(agent.GetByTestId("ticket-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);
            await Expect(board.GetByTestId("board-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);
            await Expect(breaching.GetByTestId("breaching-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);

            // The scheduler runs at the due time: the breach is recorded, and every badge turns red.
            await using var service = new CrmClient(new CrmClientOptions { Url = App.DevStack.Url, ApiKey = App.DevStack.ServiceRoleKey });
            await service.Rest.Rpc("run_due_automations", new JsonObject
            {
                ["now"] = due.ToString("O", CultureInfo.InvariantCulture),
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
    }

    private async Task ToggleAwayAsync()
    {
        // A fresh queue worked by Alice alone, so only this test's tickets are routed to her.
        using var admin = await App.SdkAsAsync("admin@autocrm.demo", Ct);
        using var carol = await App.SdkAsAsync("carol@customer.demo", Ct);
        var slug = "rr-" + Guid.NewGuid().ToString("N")[..8];
        var queue = await admin.Queues.CreateAsync(new NewQueue { Name = "Routing " + slug, Slug = slug }, Ct);
        var alice = (await admin.Profiles.ListAsync(UserRole.Agent, Ct).ToListAsync(Ct)).Single(p => p.Email == "agent.alice@autocrm.demo");
        await admin.Queues.AddMemberAsync(queue.Id, alice.Id, Ct);

        // The admin makes the queue automatic on /admin/queues; a refused capacity is shown beside that queue's form.
        var adminPage = await SignInAsync("admin@autocrm.demo", "Workspace");
        await adminPage.GotoAsync("/admin/queues");
        var card = adminPage.GetByTestId("queue-" + slug);
        await card.GetByTestId("routing-mode").SelectOptionAsync("round_robin");
        await card.GetByTestId("routing-capacity").FillAsync("5000");
        await card.GetByTestId("routing-save").ClickAsync();
        await Expect(card.GetByTestId("routing-error")).ToContainTextAsync("capacity", Contains);
        Assert.Equal(RoutingMode.Manual, (await admin.Agents.GetQueueRoutingAsync(queue.Id, Ct)).Mode);
        await card.GetByTestId("routing-mode").SelectOptionAsync("round_robin");
        await card.GetByTestId("routing-capacity").FillAsync("");
        await card.GetByTestId("routing-save").ClickAsync();
        await Expect(adminPage.GetByRole(AriaRole.Status)).ToContainTextAsync("Routing saved.", Contains);
        await Expect(card.GetByTestId("routing-error")).ToHaveCountAsync(0, Count);
        Assert.Equal(RoutingMode.RoundRobin, (await admin.Agents.GetQueueRoutingAsync(queue.Id, Ct)).Mode);

        // Alice goes online with the toggle in the header: a new ticket in the queue is hers at once.
        var agent = await SignInAsync("agent.alice@autocrm.demo", "Workspace");
        var status = agent.GetByTestId("agent-status");
        await status.GetByTestId("agent-status-select").SelectOptionAsync("online");
        await status.GetByTestId("agent-status-set").ClickAsync();
        await Expect(agent.GetByTestId("agent-status-current")).ToHaveTextAsync("online", Text);
        var first = await carol.Tickets.CreateAsync(new NewTicket { Subject = "While Alice is online " + slug, QueueId = queue.Id }, Ct);
        Assert.Equal(alice.Id, (await admin.Tickets.GetAsync(first.Id, cancellationToken: Ct)).AssigneeId);

        // She toggles away: the next ticket waits in the queue instead.
        await agent.GetByTestId("agent-status").GetByTestId("agent-status-select").SelectOptionAsync("away");
        await agent.GetByTestId("agent-status").GetByTestId("agent-status-set").ClickAsync();
        await Expect(agent.GetByTestId("agent-status-current")).ToHaveTextAsync("away", Text);
        Assert.Equal(AgentStatus.Away, (await admin.Agents.GetAsync(alice.Id, Ct)).Status);
        var second = await carol.Tickets.CreateAsync(new NewTicket { Subject = "While Alice is away " + slug, QueueId = queue.Id }, Ct);
        Assert.Null((await admin.Tickets.GetAsync(second.Id, cancellationToken: Ct)).AssigneeId);

        // Signing out sets her offline.
        await agent.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(agent.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync(Visible);
        Assert.Equal(AgentStatus.Offline, (await admin.Agents.GetAsync(alice.Id, Ct)).Status);
        Assert.Null((await admin.Tickets.GetAsync(second.Id, cancellationToken: Ct)).AssigneeId);
    }

    private async Task WorkATicketAsync()
    {
        // Arrange through the public API: a fresh queue worked by Alice, so "claim next" can only pick this test's ticket.
        using var admin = await App.SdkAsAsync("admin@autocrm.demo", Ct);
        var slug = "e2e-" + Guid.NewGuid().ToString("N")[..8];
        var queue = await admin.Queues.CreateAsync(new NewQueue { Name = "E2E " + slug, Slug = slug }, Ct);
        var alice = (await admin.Profiles.ListAsync(UserRole.Agent, Ct).ToListAsync(Ct)).Single(p => p.Email == "agent.alice@autocrm.demo");
        await admin.Queues.AddMemberAsync(queue.Id, alice.Id, Ct);

        var customerEmail = $"{slug}@customer.test";
        var subject = $"Printer on fire ({slug})";
        const string Reply = "We are on it: please unplug the printer.";
        const string Note = "INTERNAL: customer sounds upset, escalate if it happens again.";

        // The customer's browser is in Tokyo (UTC+9 all year), with British formats: the page shows times in that zone.
        await using var customerContext = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.BaseAddress.ToString(),
            TimezoneId = "Asia/Tokyo",
            Locale = "en-GB",
        });
        await using var agentContext = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = App.BaseAddress.ToString() });
        var customer = await OpenAsync(customerContext);
        var board = await OpenAsync(agentContext);
        var agent = await OpenAsync(agentContext);

        // The customer signs up.
        await customer.GotoAsync("/signup");
        await customer.GetByLabel("Name").FillAsync("Pat Customer");
        await customer.GetByLabel("Email").FillAsync(customerEmail);
        await customer.GetByLabel("Password").FillAsync("correct-horse-1");
        await customer.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Expect(customer.GetByRole(AriaRole.Heading, new() { Name = "My tickets" })).ToBeVisibleAsync(Visible);

        // Alice opens the queue board and keeps it open.
        await board.GotoAsync("/signin");
        await board.GetByLabel("Email").FillAsync("agent.alice@autocrm.demo");
        await board.GetByLabel("Password").FillAsync(WebHostFixture.DemoPassword);
        await board.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(board.GetByRole(AriaRole.Heading, new() { Name = "Workspace" })).ToBeVisibleAsync(Visible);
        await board.GotoAsync($"/agent/queues/{slug}");
        await Expect(board.GetByTestId("board-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);

        // The customer files a ticket in that queue.
        await customer.GotoAsync("/tickets/new");
        await customer.GetByLabel("Subject").FillAsync(subject);
        await customer.GetByLabel("Description").FillAsync("It started smoking after the last print job.");
        await customer.GetByLabel("Priority").SelectOptionAsync("High");
        await customer.GetByLabel("Queue").SelectOptionAsync(queue.Id.ToString());
        await customer.GetByLabel("Detail name 1").FillAsync("printer_model");
        await customer.GetByLabel("Detail value 1").FillAsync("LaserJet 9000");
        await customer.GetByRole(AriaRole.Button, new() { Name = "File ticket" }).ClickAsync();
        await Expect(customer.GetByTestId("ticket-subject")).ToHaveTextAsync(subject, Text);
        await Expect(customer.GetByTestId("ticket-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);

        // The description's time reads in the viewer's local time (the server sent UTC) with its age.
        var posted = customer.GetByTestId("message").First.Locator("time");
        var utc = DateTimeOffset.Parse((await posted.GetAttributeAsync("datetime"))!, CultureInfo.InvariantCulture);
        var inTokyo = utc.ToOffset(TimeSpan.FromHours(9)).ToString("HH:mm", CultureInfo.InvariantCulture);
        await Expect(posted).ToHaveTextAsync(new Regex($@"{inTokyo} · (just now|\d+ min ago)$"), Text);

        // It appears on Alice's board without a reload.
        var row = board.GetByTestId("board-ticket").Filter(new() { HasText = subject });
        await Expect(row).ToBeVisibleAsync(Visible);

        // Alice claims it (in a second tab), adds an internal note, then replies.
        await agent.GotoAsync($"/agent/queues/{slug}");
        await agent.GetByTestId("claim-next").ClickAsync();
        await Expect(agent.GetByTestId("ticket-subject")).ToHaveTextAsync(subject, Text);
        await Expect(agent.GetByTestId("ticket-assignee")).ToContainTextAsync("Alice", new() { Timeout = 30_000 });
        await agent.GetByTestId("note-body").FillAsync(Note);
        await agent.GetByTestId("add-note").ClickAsync();
        await Expect(agent.GetByTestId("message").Filter(new() { HasText = Note })).ToBeVisibleAsync(Visible);
        await agent.GetByTestId("reply-body").FillAsync(Reply);
        await agent.GetByTestId("send-reply").ClickAsync();
        await Expect(agent.GetByTestId("message").Filter(new() { HasText = Reply })).ToBeVisibleAsync(Visible);

        // The board shows the claim live.
        await Expect(row).ToContainTextAsync("Alice", new() { Timeout = 30_000 });

        // The customer sees the reply live (the note was written before it, so it would be there by now if it leaked)...
        await Expect(customer.GetByTestId("message").Filter(new() { HasText = Reply })).ToBeVisibleAsync(Visible);
        await Expect(customer.GetByText(Note)).ToHaveCountAsync(0, Count);
        await Expect(customer.GetByText("internal note")).ToHaveCountAsync(0, Count);

        // ...and never the note, not even after a full reload.
        await customer.ReloadAsync();
        await Expect(customer.GetByTestId("message").Filter(new() { HasText = Reply })).ToBeVisibleAsync(Visible);
        await Expect(customer.GetByText(Note)).ToHaveCountAsync(0, Count);

        // An admin opens the same ticket: Alice's page says who else is looking (presence).
        await using var adminContext = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = App.BaseAddress.ToString() });
        var adminPage = await OpenAsync(adminContext);
        await adminPage.GotoAsync("/signin");
        await adminPage.GetByLabel("Email").FillAsync("admin@autocrm.demo");
        await adminPage.GetByLabel("Password").FillAsync(WebHostFixture.DemoPassword);
        await adminPage.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(adminPage.GetByRole(AriaRole.Heading, new() { Name = "Workspace" })).ToBeVisibleAsync(Visible);
        await adminPage.GotoAsync(new Uri(agent.Url).PathAndQuery);
        await Expect(agent.GetByTestId("viewers")).ToContainTextAsync("Also viewing: Ada", new() { Timeout = 30_000 });

        await App.SaveScreenshotAsync(agent, "webhost-agent-ticket.png");
        await adminPage.CloseAsync();
        await Expect(agent.GetByTestId("viewers")).ToBeHiddenAsync(new() { Timeout = 30_000 });

        // The customer closes the ticket; the agent's board drops it and the agent's ticket page shows it closed, live.
        await Expect(customer.GetByTestId("ticket-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);
        await customer.GetByTestId("close-ticket").ClickAsync();
        await Expect(customer.GetByTestId("ticket-status")).ToHaveTextAsync("closed", Text);
        await Expect(row).ToHaveCountAsync(0, Count);
        await Expect(agent.GetByTestId("ticket-status")).ToHaveTextAsync("closed", Text);
    }
}
