using System.Net;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.WebHost.Tests;

/// <summary>The rule and macro pages over HTTP: whatever a form posts comes back as a message on the page (the database's
/// or the form's), never a server error; macros apply with the agent's own permissions.</summary>
public sealed class AutomationPageTests(WebHostFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string, string, string> BadRules => new()
    {
        // event, condition field, operator, value, action, action value → what the page says
        { "ticket_created", "subject", "matches", "(unclosed", "add_tags", "x" },
        { "ticket_created", "message.body", "contains", "hi", "add_tags", "x" },
        { "ticket_created", "subject", "contains", "x", "set_queue", "no-such-queue" },
        { "ticket_created", "subject", "contains", "x", "assign", "nobody@example.com" },
        { "ticket_created", "subject", "in", "", "send_reply", "Hi {{ticket.nope}}" },
        { "ticket_created", "subject", "bogus_operator", "x", "add_tags", "x" },
        { "no_such_event", "subject", "contains", "x", "add_tags", "x" },
        { "ticket_updated", "subject", "contains", "x", "explode", "x" },
        { "ticket_created", "subject", "contains", "x", "set_field", "no key here" },
        { "ticket_created", "subject", "contains", "x", "set_priority", "'; drop table tickets; --" },
    };

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task A_refused_rule_comes_back_with_a_message_next_to_the_form_and_nothing_is_saved(
        string ruleEvent, string field, string op, string value, string action, string actionValue)
    {
        using var client = await app.SignInAsync("admin@autocrm.demo", Ct);
        var name = "Bad rule " + Guid.NewGuid().ToString("N")[..8];
        var form = new Dictionary<string, string>
        {
            ["Name"] = name, ["Event"] = ruleEvent, ["Active"] = "true",
            ["cond_group_0"] = "all", ["cond_field_0"] = field, ["cond_op_0"] = op, ["cond_value_0"] = value,
            ["act_type_0"] = action, ["act_value_0"] = actionValue,
        };
        foreach (var handler in new[] { "Save", "Preview" })
        {
            using var response = await WebHostFixture.PostFormAsync(client, $"/admin/rules/edit?handler={handler}", new(form), Ct, formPage: "/admin/rules/edit");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync(Ct);
            Assert.Contains("data-testid=\"rule-error\"", html, StringComparison.Ordinal);
            Assert.Contains(WebUtility.HtmlEncode(name), html, StringComparison.Ordinal); // the form keeps what was typed
        }

        using var admin = await app.SdkAsAsync("admin@autocrm.demo", Ct);
        Assert.DoesNotContain(await admin.Automations.ListAsync(Ct).ToListAsync(Ct), r => r.Name == name);
    }

    [Fact]
    public async Task A_time_rule_is_saved_with_its_timer_and_loses_it_when_moved_to_another_event()
    {
        using var client = await app.SignInAsync("admin@autocrm.demo", Ct);
        using var admin = await app.SdkAsAsync("admin@autocrm.demo", Ct);
        var word = "tq" + Guid.NewGuid().ToString("N")[..10];
        var name = "Pending too long " + word;
        Dictionary<string, string> Form(string ruleEvent, string since, string minutes) => new()
        {
            ["Name"] = name, ["Event"] = ruleEvent, ["Active"] = "true", ["TimerSince"] = since, ["TimerMinutes"] = minutes,
            ["cond_group_0"] = "all", ["cond_field_0"] = "tags", ["cond_op_0"] = "contains", ["cond_value_0"] = word,
            ["act_type_0"] = "set_priority", ["act_value_0"] = "high",
        };

        // A timer the form cannot read, and a time rule without one, come back with a message; nothing is saved.
        foreach (var (since, minutes, says) in new[] { ("status_changed", "soon", "is not a whole number of minutes"), ("", "", "timer"), ("status_changed", "0", "timer") })
        {
            using var refused = await WebHostFixture.PostFormAsync(client, "/admin/rules/edit?handler=Save", Form("time_elapsed", since, minutes), Ct, formPage: "/admin/rules/edit");
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            var html = WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync(Ct));
            Assert.Contains("data-testid=\"rule-error\"", html, StringComparison.Ordinal);
            Assert.Contains(says, html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(await admin.Automations.ListAsync(Ct).ToListAsync(Ct), r => r.Name == name);
        using (var saved = await WebHostFixture.PostFormAsync(client, "/admin/rules/edit?handler=Save", Form("time_elapsed", "status_changed", "4320"), Ct, formPage: "/admin/rules/edit"))
        {
            Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        }

        var rule = Assert.Single(await admin.Automations.ListAsync(Ct).ToListAsync(Ct), r => r.Name == name);
        try
        {
            Assert.Equal(RuleEvent.TimeElapsed, rule.Event);
            Assert.Equal(new RuleTimer { Since = RuleTimerMoment.StatusChanged, Minutes = 4320 }, rule.Timer);
            var edit = await client.GetStringAsync($"/admin/rules/edit/{rule.Id}", Ct);
            Assert.Contains("name=\"TimerMinutes\" value=\"4320\"", edit, StringComparison.Ordinal);
            Assert.Contains("4320 min after status changed", WebUtility.HtmlDecode(await client.GetStringAsync("/admin/rules", Ct)), StringComparison.Ordinal);

            // Moved to an event rule (the timer inputs still filled in), it is saved without a timer.
            using (var moved = await WebHostFixture.PostFormAsync(client, $"/admin/rules/edit/{rule.Id}?handler=Save", Form("ticket_updated", "status_changed", "4320"), Ct, formPage: $"/admin/rules/edit/{rule.Id}"))
            {
                Assert.Equal(HttpStatusCode.Redirect, moved.StatusCode);
            }

            var after = await admin.Automations.GetAsync(rule.Id, Ct);
            Assert.Equal(RuleEvent.TicketUpdated, after.Event);
            Assert.Null(after.Timer);
        }
        finally
        {
            await admin.Automations.DeleteAsync(rule.Id, Ct);
        }
    }

    [Fact]
    public async Task A_macro_that_moves_to_a_queue_the_agent_is_not_in_is_refused_on_the_ticket_page_and_changes_nothing()
    {
        using var admin = await app.SdkAsAsync("admin@autocrm.demo", Ct);
        var queues = await admin.Queues.ListAsync(Ct).ToListAsync(Ct);
        Queue General() => queues.Single(q => q.Slug == "general");
        var macro = await admin.Macros.CreateAsync(
            new NewMacro
            {
                Name = "To billing " + Guid.NewGuid().ToString("N")[..8],
                Shared = true,
                Actions = [TicketAction.SetQueue(queues.Single(q => q.Slug == "billing").Id), TicketAction.SetPriority(TicketPriority.Urgent)],
            },
            Ct);
        try
        {
            using var carol = await app.SdkAsAsync("carol@customer.demo", Ct);
            var ticket = await carol.Tickets.CreateAsync(new NewTicket { Subject = "Macro refusal " + macro.Id, QueueId = General().Id }, Ct);

            // Bob works general only: the macro's transfer to billing is refused for him, with the database's reason.
            using var bob = await app.SignInAsync("agent.bob@autocrm.demo", Ct);
            var ticketPage = await bob.GetStringAsync($"/tickets/{ticket.Number}", Ct);
            Assert.Contains(macro.Name, ticketPage, StringComparison.Ordinal); // the macro menu offers it
            using var applied = await WebHostFixture.PostFormAsync(
                bob, $"/tickets/{ticket.Number}/macro", new() { ["TicketId"] = ticket.Id.ToString(), ["MacroId"] = macro.Id.ToString() }, Ct, formPage: $"/tickets/{ticket.Number}");
            Assert.Equal(HttpStatusCode.Redirect, applied.StatusCode);
            var after = await bob.GetStringAsync($"/tickets/{ticket.Number}", Ct);
            Assert.Contains("set_queue: you are not a member of that queue", WebUtility.HtmlDecode(after), StringComparison.Ordinal);
            var unchanged = await admin.Tickets.GetAsync(ticket.Id, cancellationToken: Ct);
            Assert.Equal(General().Id, unchanged.QueueId);
            Assert.Equal(ticket.Priority, unchanged.Priority);

            // A customer posting the same form gets no macro applied: the database hides macros from customers.
            using var carolWeb = await app.SignInAsync("carol@customer.demo", Ct);
            using var byCustomer = await WebHostFixture.PostFormAsync(
                carolWeb, $"/tickets/{ticket.Number}/macro", new() { ["TicketId"] = ticket.Id.ToString(), ["MacroId"] = macro.Id.ToString() }, Ct, formPage: $"/tickets/{ticket.Number}");
            Assert.True(byCustomer.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Redirect, $"got {byCustomer.StatusCode}");
            Assert.Equal(ticket.Priority, (await admin.Tickets.GetAsync(ticket.Id, cancellationToken: Ct)).Priority);
        }
        finally
        {
            await admin.Macros.DeleteAsync(macro.Id, Ct);
        }
    }
}
