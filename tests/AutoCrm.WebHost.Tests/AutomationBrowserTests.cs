using AutoCrm.Sdk.Tickets;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoCrm.WebHost.Tests;

/// <summary>
/// Automation in the browser: an admin writes a rule in the rule editor (the database's refusal of a bad value shows next
/// to the form), previews it on recent tickets and saves it; a customer's ticket is routed by it, live on the agent's
/// board; an admin defines a macro and an agent applies it from the ticket page.
/// </summary>
public sealed class AutomationBrowserTests(WebHostFixture app) : BrowserTest(app)
{
    [Fact]
    public Task Admin_routes_refunds_to_billing_with_a_rule_the_board_shows_it_live_and_an_agent_applies_a_macro() =>
        RunAsync(nameof(Admin_routes_refunds_to_billing_with_a_rule_the_board_shows_it_live_and_an_agent_applies_a_macro), async () =>
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var ruleName = "Route refunds " + run;
            var macroName = "Refund on its way " + run;
            using var adminSdk = await App.SdkAsAsync("admin@autocrm.demo", Ct);
            using var carolSdk = await App.SdkAsAsync("carol@customer.demo", Ct);
            var earlier = await carolSdk.Tickets.CreateAsync(new NewTicket { Subject = $"Where is my refund? ({run})", Description = "Ordered last week." }, Ct);
            try
            {
                // The admin writes the rule; a status that does not exist is refused by the database, next to the form.
                var admin = await SignInAsync("admin@autocrm.demo", "Workspace");
                await admin.GotoAsync("/admin/rules");
                await admin.GetByTestId("new-rule").ClickAsync();
                var form = admin.GetByTestId("rule-form");
                await form.GetByLabel("Name").FillAsync(ruleName);
                await form.GetByLabel("When").SelectOptionAsync("ticket_created");
                await form.GetByLabel("Condition 1 field").SelectOptionAsync("status");
                await form.GetByLabel("Condition 1 operator").SelectOptionAsync("is");
                await form.GetByLabel("Condition 1 value").FillAsync("shipped");
                await form.GetByLabel("Action 1", new() { Exact = true }).SelectOptionAsync("set_queue");
                await form.GetByLabel("Action 1 value").FillAsync("billing");
                await admin.GetByTestId("save-rule").ClickAsync();
                await Expect(admin.GetByTestId("rule-error")).ToContainTextAsync("field \"conditions\": all[0]", Contains);
                await Expect(form.GetByLabel("Name")).ToHaveValueAsync(ruleName, new() { Timeout = 30_000 });

                // Corrected: subject contains refund → queue billing, priority high, tag refund.
                await form.GetByLabel("Condition 1 field").SelectOptionAsync("subject");
                await form.GetByLabel("Condition 1 operator").SelectOptionAsync("contains");
                await form.GetByLabel("Condition 1 value").FillAsync("refund");
                await form.GetByLabel("Action 2", new() { Exact = true }).SelectOptionAsync("set_priority");
                await form.GetByLabel("Action 2 value").FillAsync("high");
                await form.GetByLabel("Action 3", new() { Exact = true }).SelectOptionAsync("add_tags");
                await form.GetByLabel("Action 3 value").FillAsync("refund");

                // The preview: the earlier refund ticket would match, and be moved to billing.
                await form.GetByLabel("Last tickets").FillAsync("50");
                await admin.GetByTestId("preview-rule").ClickAsync();
                var previewRow = admin.Locator($"[data-testid=preview-row][data-number='{earlier.Number}']");
                await Expect(previewRow).ToHaveAttributeAsync("data-match", "yes", Attribute);
                await Expect(previewRow).ToContainTextAsync("billing", Contains);
                await admin.GetByTestId("save-rule").ClickAsync();
                var ruleRow = admin.Locator($"[data-testid=rule-row][data-rule-name='{ruleName}']");
                await Expect(ruleRow).ToContainTextAsync("set queue billing; set priority high; add tags refund", Contains);

                // Alice keeps the billing board open; Carol files a refund ticket with no queue; it arrives there live, tagged.
                var board = await SignInAsync("agent.alice@autocrm.demo", "Workspace");
                await board.GotoAsync("/agent/queues/billing");
                await Expect(board.GetByTestId("board-live")).ToHaveAttributeAsync("data-live-state", "connected", Attribute);
                var customer = await SignInAsync("carol@customer.demo", "My tickets");
                await customer.GotoAsync("/tickets/new");
                var subject = $"Please refund order {run}";
                await customer.GetByLabel("Subject").FillAsync(subject);
                await customer.GetByLabel("Description").FillAsync("It arrived broken.");
                await customer.GetByRole(AriaRole.Button, new() { Name = "File ticket" }).ClickAsync();
                await Expect(customer.GetByTestId("ticket-subject")).ToHaveTextAsync(subject, Text);
                var row = board.GetByTestId("board-ticket").Filter(new() { HasText = subject });
                await Expect(row.GetByTestId("board-tag")).ToHaveTextAsync("refund", Text);
                await Expect(row).ToContainTextAsync("high", Contains);

                // The admin defines a macro; Alice applies it from the ticket page, as herself.
                await admin.GotoAsync("/admin/macros");
                var macroForm = admin.GetByTestId("macro-form");
                await macroForm.GetByLabel("Name").FillAsync(macroName);
                await macroForm.GetByLabel("Action 1", new() { Exact = true }).SelectOptionAsync("set_status");
                await macroForm.GetByLabel("Action 1 value").FillAsync("pending");
                await macroForm.GetByLabel("Reply").FillAsync("Hi {{requester.name}}, the refund for #{{ticket.number}} is on its way.");
                await admin.GetByTestId("save-macro").ClickAsync();
                await Expect(admin.Locator($"[data-testid=macro-row][data-macro-name='{macroName}']")).ToContainTextAsync("set status pending", Contains);

                await row.GetByRole(AriaRole.Link).ClickAsync();
                await Expect(board.GetByTestId("ticket-subject")).ToHaveTextAsync(subject, Text);
                await board.GetByTestId("macro-select").SelectOptionAsync(new SelectOptionValue { Label = macroName });
                await board.GetByTestId("apply-macro").ClickAsync();
                await Expect(board.GetByTestId("ticket-status")).ToHaveTextAsync("pending", Text);
                await Expect(board.GetByTestId("message").Filter(new() { HasText = "the refund for #" })).ToContainTextAsync("is on its way", Contains);

                // Disabled from the list, the rule is kept but no longer runs.
                await admin.GotoAsync("/admin/rules");
                await ruleRow.GetByRole(AriaRole.Button, new() { Name = "disable" }).ClickAsync();
                await Expect(ruleRow.GetByTestId("rule-active")).ToHaveTextAsync("disabled", Text);
            }
            finally
            {
                foreach (var rule in await adminSdk.Automations.ListAsync(Ct).ToListAsync(Ct))
                {
                    if (rule.Name == ruleName)
                    {
                        await adminSdk.Automations.DeleteAsync(rule.Id, Ct);
                    }
                }

                foreach (var macro in await adminSdk.Macros.ListAsync(Ct).ToListAsync(Ct))
                {
                    if (macro.Name == macroName)
                    {
                        await adminSdk.Macros.DeleteAsync(macro.Id, Ct);
                    }
                }
            }
        });
}
