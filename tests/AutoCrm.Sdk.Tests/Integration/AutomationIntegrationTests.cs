using System.Text.Json;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// Automation rules and macros through the SDK against the DevStack. The stack is shared by every integration test, so
/// each rule here matches only tickets whose subject carries this test's own marker, and is deleted at the end.
/// </summary>
public sealed class AutomationIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Marker() => "auto" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Admins_create_list_change_disable_and_delete_rules_built_with_the_typed_builders()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var queue = await stack.CreateQueueAsync();
        var marker = Marker();

        var rule = await admin.Crm.Automations.CreateAsync(new NewAutomationRule
        {
            Name = "Route " + marker,
            Event = RuleEvent.TicketCreated,
            Position = 5,
            Conditions = TicketConditions.AllOf(ConditionField.Subject.Contains(marker), ConditionField.ActorRole.Is("customer")) with
            {
                Any = [ConditionField.Priority.In(TicketPriority.Normal, TicketPriority.High), ConditionField.Metadata("plan").Is("enterprise")],
            },
            Actions = [TicketAction.SetQueue(queue.Id), TicketAction.SetPriority(TicketPriority.High), TicketAction.AddTags(marker)],
        }, Ct);
        try
        {
            Assert.True(rule.Active);
            Assert.Equal(RuleEvent.TicketCreated, rule.Event);
            Assert.Equal(ConditionOperator.Contains, rule.Conditions.All[0].Operator);
            Assert.Equal(marker, rule.Conditions.All[0].Value!.Value.GetString());
            Assert.Equal(TicketActionType.SetQueue, rule.Actions[0].Type);
            var json = rule.Conditions.ToJson();
            Assert.Equal(json, TicketConditions.FromJson(json).ToJson());
            Assert.Contains("\"operator\":\"contains\"", json, StringComparison.Ordinal);

            var listed = await admin.Crm.Automations.ListAsync(Ct).ToListAsync(Ct);
            Assert.Contains(listed, r => r.Id == rule.Id);
            Assert.Empty(await customer.Crm.Automations.ListAsync(Ct).ToListAsync(Ct));

            var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Refund " + marker }, Ct);
            var fired = await customer.Crm.Tickets.GetAsync(ticket.Id, TicketInclude.Events, Ct);
            Assert.Equal(queue.Id, fired.QueueId);
            Assert.Equal(TicketPriority.High, fired.Priority);
            Assert.Equal([marker], fired.Tags);
            var applied = Assert.Single(fired.Events!, e => e.Kind == TicketEventKind.RuleApplied);
            Assert.Equal(rule.Id, applied.RuleId);
            Assert.Equal("Route " + marker, applied.RuleName);

            var disabled = await admin.Crm.Automations.DisableAsync(rule.Id, Ct);
            Assert.False(disabled.Active);
            var untouched = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Refund again " + marker }, Ct);
            Assert.Empty((await customer.Crm.Tickets.GetAsync(untouched.Id, cancellationToken: Ct)).Tags);
            Assert.True((await admin.Crm.Automations.EnableAsync(rule.Id, Ct)).Active);

            var renamed = await admin.Crm.Automations.UpdateAsync(rule.Id, new AutomationRulePatch { Name = "Renamed " + marker }, Ct);
            Assert.Equal("Renamed " + marker, renamed.Name);
            Assert.Equal(rule.Actions.Count, renamed.Actions.Count);

            var refused = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Automations.UpdateAsync(rule.Id,
                new AutomationRulePatch { Conditions = TicketConditions.AllOf(ConditionField.MessageBody.Contains("x")) }, Ct));
            Assert.Equal("conditions", refused.Field);
            Assert.Equal("field \"conditions\": all[0].field: message.body exists only for the message_created event", refused.Message);

            await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Automations.CreateAsync(new NewAutomationRule
            {
                Name = "Mine " + marker, Event = RuleEvent.TicketCreated, Actions = [TicketAction.AddTags("x")],
            }, Ct));
        }
        finally
        {
            await admin.Crm.Automations.DeleteAsync(rule.Id, Ct);
        }

        await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Automations.GetAsync(rule.Id, Ct));
    }

    [Fact]
    public async Task A_dry_run_says_which_rules_would_fire_and_what_they_would_do_without_writing()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var marker = Marker();
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Dry " + marker }, Ct);
        var rule = await admin.Crm.Automations.CreateAsync(new NewAutomationRule
        {
            Name = "Escalate " + marker,
            Event = RuleEvent.TicketUpdated,
            Conditions = TicketConditions.AllOf(ConditionField.Subject.Contains(marker), ConditionField.Priority.ChangedTo(TicketPriority.Urgent)),
            Actions = [TicketAction.AddTags("escalated"), TicketAction.AddInternalNote("Escalated #{{ticket.number}}")],
        }, Ct);
        try
        {
            var result = await admin.Crm.Automations.TestAsync(ticket.Id, new RuleTest { Priority = TicketPriority.Urgent }, Ct);
            var firing = Assert.Single(result.Fired, f => f.RuleName == "Escalate " + marker);
            Assert.Equal(rule.Id.ToString("D"), firing.RuleId);
            Assert.Equal(["escalated"], firing.PublicChanges["tags"].New.EnumerateArray().Select(t => t.GetString()));
            Assert.Equal([$"Escalated #{ticket.Number}"], firing.Notes);
            Assert.Equal(["escalated"], result.Ticket.Tags);
            Assert.Empty((await customer.Crm.Tickets.GetAsync(ticket.Id, cancellationToken: Ct)).Tags);

            var none = await admin.Crm.Automations.TestAsync(ticket.Id, new RuleTest { Priority = TicketPriority.Low }, Ct);
            Assert.DoesNotContain(none.Fired, f => f.RuleName == "Escalate " + marker);

            var tried = await admin.Crm.Automations.TestAsync(ticket.Id, new RuleTest
            {
                Event = RuleEvent.MessageCreated,
                MessageBody = "please hurry",
                Rules = [new NewAutomationRule
                {
                    Name = "Unsaved", Event = RuleEvent.MessageCreated,
                    Conditions = TicketConditions.AllOf(ConditionField.MessageBody.Contains("HURRY")),
                    Actions = [TicketAction.SetPriority(TicketPriority.Urgent)],
                }],
            }, Ct);
            Assert.Equal("Unsaved", Assert.Single(tried.Fired).RuleName);
            Assert.Equal(TicketPriority.Urgent, tried.Ticket.Priority);

            await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Automations.TestAsync(ticket.Id, new RuleTest(), Ct));
        }
        finally
        {
            await admin.Crm.Automations.DeleteAsync(rule.Id, Ct);
        }
    }

    [Fact]
    public async Task Agents_preview_and_apply_macros_with_their_own_permissions()
    {
        var home = await stack.CreateQueueAsync();
        var elsewhere = await stack.CreateQueueAsync();
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var agent = await stack.CreateUserAsync(UserRole.Agent, home.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Macro " + Marker(), QueueId = home.Id }, Ct);

        var close = await admin.Crm.Macros.CreateAsync(new NewMacro
        {
            Name = "Close politely " + Guid.NewGuid().ToString("N")[..6],
            Shared = true,
            Actions = [TicketAction.SetStatus(TicketStatus.Solved), TicketAction.AddTags("answered")],
            Reply = "Thanks {{requester.email}}, closing #{{ticket.number}}.",
        }, Ct);
        var transfer = await admin.Crm.Macros.CreateAsync(new NewMacro
        {
            Name = "Elsewhere " + Guid.NewGuid().ToString("N")[..6], Shared = true, Actions = [TicketAction.SetQueue(elsewhere.Id)],
        }, Ct);
        try
        {
            var mine = await agent.Crm.Macros.CreateAsync(new NewMacro { Name = "Mine", Actions = [TicketAction.AddTags("mine")] }, Ct);
            Assert.False(mine.Shared);
            Assert.Equal(agent.Id, mine.OwnerId);
            var visible = await agent.Crm.Macros.ListAsync(Ct).ToListAsync(Ct);
            Assert.Contains(visible, m => m.Id == close.Id);
            Assert.Contains(visible, m => m.Id == mine.Id);
            Assert.Empty(await customer.Crm.Macros.ListAsync(Ct).ToListAsync(Ct));
            await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Macros.CreateAsync(new NewMacro { Name = "Team", Shared = true, Reply = "Hi" }, Ct));

            var preview = await agent.Crm.Macros.PreviewAsync(ticket.Id, close.Id, Ct);
            Assert.Equal([$"Thanks {customer.Email}, closing #{ticket.Number}."], preview.Replies);
            Assert.Equal(TicketStatus.Solved, preview.Ticket.Status);

            var applied = await agent.Crm.Macros.ApplyAsync(ticket.Id, close.Id, Ct);
            Assert.Equal(TicketStatus.Solved, applied.Status);
            Assert.Contains("answered", applied.Tags);
            var messages = await agent.Crm.Tickets.ListMessagesAsync(ticket.Id, Ct).ToListAsync(Ct);
            var reply = Assert.Single(messages, m => m.Body.StartsWith("Thanks", StringComparison.Ordinal));
            Assert.Equal(agent.Id, reply.AuthorId);

            var refused = await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Macros.ApplyAsync(ticket.Id, transfer.Id, Ct));
            Assert.Contains("not a member of that queue", refused.Message, StringComparison.Ordinal);
            Assert.Equal(home.Id, (await agent.Crm.Tickets.GetAsync(ticket.Id, cancellationToken: Ct)).QueueId);

            await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Macros.ApplyAsync(ticket.Id, close.Id, Ct));
            await agent.Crm.Macros.DeleteAsync(mine.Id, Ct);
        }
        finally
        {
            await admin.Crm.Macros.DeleteAsync(close.Id, Ct);
            await admin.Crm.Macros.DeleteAsync(transfer.Id, Ct);
        }
    }

    [Fact]
    public async Task Twenty_clients_creating_tickets_that_match_five_rules_fire_every_rule_exactly_once_per_ticket()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var marker = Marker();
        var rules = new List<AutomationRule>();
        for (var i = 1; i <= 5; i++)
        {
            rules.Add(await admin.Crm.Automations.CreateAsync(new NewAutomationRule
            {
                Name = $"Concurrent {i} {marker}",
                Event = RuleEvent.TicketCreated,
                Position = i,
                Conditions = TicketConditions.AllOf(ConditionField.Subject.Contains(marker)),
                Actions = [TicketAction.AddTags($"r{i}")],
            }, Ct));
        }

        try
        {
            var customers = new List<TestUser>();
            for (var i = 0; i < 20; i++)
            {
                customers.Add(await stack.CreateUserAsync(UserRole.Customer));
            }

            const int PerClient = 3;
            var created = await Task.WhenAll(customers.Select(async c =>
            {
                var ids = new List<Guid>();
                for (var n = 0; n < PerClient; n++)
                {
                    ids.Add((await c.Crm.Tickets.CreateAsync(new NewTicket { Subject = $"Concurrent {n} {marker}" }, Ct)).Id);
                }

                return ids;
            }));
            var ticketIds = created.SelectMany(ids => ids).ToList();
            Assert.Equal(20 * PerClient, ticketIds.Count);

            var events = await stack.Service.Rest.From("ticket_events").Select("ticket_id, rule_id")
                .In("ticket_id", ticketIds).Eq("kind", "rule_applied").ToJsonAsync(Ct);
            var firings = events.EnumerateArray()
                .GroupBy(e => (Ticket: e.GetProperty("ticket_id").GetGuid(), Rule: e.GetProperty("rule_id").GetGuid()))
                .ToDictionary(g => g.Key, g => g.Count());
            foreach (var ticketId in ticketIds)
            {
                foreach (var rule in rules)
                {
                    Assert.Equal(1, firings.GetValueOrDefault((ticketId, rule.Id)));
                }
            }

            Assert.Equal(ticketIds.Count * rules.Count, firings.Values.Sum());
            var tickets = await stack.Service.Rest.From("tickets").Select("id, tags").In("id", ticketIds).ToJsonAsync(Ct);
            Assert.All(tickets.EnumerateArray(), t =>
                Assert.Equal(["r1", "r2", "r3", "r4", "r5"], t.GetProperty("tags").EnumerateArray().Select(x => x.GetString())));
        }
        finally
        {
            foreach (var rule in rules)
            {
                await admin.Crm.Automations.DeleteAsync(rule.Id, Ct);
            }
        }
    }
}
