using System.Globalization;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// Time-based rules (<see cref="RuleEvent.TimeElapsed"/>) through the SDK against the DevStack: saved and read back with
/// their timer, refused with the field named, and run by <c>run_due_automations</c> with an explicit <c>now</c> (the
/// service role's scheduler call), once per period. Each rule matches only this test's own tickets (a marker tag).
/// </summary>
public sealed class TimeRuleIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_pending_for_an_hour_rule_fires_once_when_the_scheduler_runs_an_hour_later()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var marker = "time" + Guid.NewGuid().ToString("N")[..12];

        var rule = await admin.Crm.Automations.CreateAsync(new NewAutomationRule
        {
            Name = "Urgent after an hour pending " + marker,
            Event = RuleEvent.TimeElapsed,
            Timer = new RuleTimer { Since = RuleTimerMoment.StatusChanged, Minutes = 60 },
            Conditions = TicketConditions.AllOf(ConditionField.Status.Is(TicketStatus.Pending), ConditionField.Tags.Contains(marker)),
            Actions = [TicketAction.SetPriority(TicketPriority.Urgent)],
        }, Ct);
        try
        {
            Assert.Equal(RuleEvent.TimeElapsed, rule.Event);
            Assert.Equal(new RuleTimer { Since = RuleTimerMoment.StatusChanged, Minutes = 60 }, rule.Timer);
            var listed = await admin.Crm.Automations.ListAsync(Ct).ToListAsync(Ct);
            Assert.Equal(rule.Timer, Assert.Single(listed, r => r.Id == rule.Id).Timer);

            var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Waiting " + marker, QueueId = queue.Id }, Ct);
            await agent.Crm.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Tags = [marker] }, cancellationToken: Ct);
            var pending = await agent.Crm.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Pending }, cancellationToken: Ct);

            await RunSchedulerAsync(pending.UpdatedAt.AddMinutes(59));
            Assert.Equal(TicketPriority.Normal, (await agent.Crm.Tickets.GetAsync(ticket.Id, cancellationToken: Ct)).Priority);

            await RunSchedulerAsync(pending.UpdatedAt.AddMinutes(60));
            await RunSchedulerAsync(pending.UpdatedAt.AddMinutes(120));
            var fired = await customer.Crm.Tickets.GetAsync(ticket.Id, TicketInclude.Events, Ct);
            Assert.Equal(TicketPriority.Urgent, fired.Priority);
            var applied = Assert.Single(fired.Events!, e => e.Kind == TicketEventKind.RuleApplied);
            Assert.Equal(rule.Id, applied.RuleId);
            Assert.Equal(["priority"], applied.Changes.Keys);

            // Left out of a patch, the timer is kept; a rule moved to another event loses it with Timer = null.
            Assert.Equal(rule.Timer, (await admin.Crm.Automations.UpdateAsync(rule.Id, new AutomationRulePatch { Description = "kept" }, Ct)).Timer);
            var moved = await admin.Crm.Automations.UpdateAsync(rule.Id, new AutomationRulePatch { Event = RuleEvent.TicketUpdated, Timer = null }, Ct);
            Assert.Equal(RuleEvent.TicketUpdated, moved.Event);
            Assert.Null(moved.Timer);
        }
        finally
        {
            await admin.Crm.Automations.DeleteAsync(rule.Id, Ct);
        }
    }

    [Fact]
    public async Task A_time_rule_without_a_valid_timer_is_refused_naming_the_timer()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);

        var missing = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Automations.CreateAsync(new NewAutomationRule
        {
            Name = "No timer",
            Event = RuleEvent.TimeElapsed,
            Actions = [TicketAction.SetPriority(TicketPriority.High)],
        }, Ct));
        Assert.Equal("timer", missing.Field);
        Assert.Equal("field \"timer\": a time_elapsed rule needs a timer {\"since\": \"status_changed\", \"minutes\": 4320}", missing.Message);

        var zero = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Automations.CreateAsync(new NewAutomationRule
        {
            Name = "Zero minutes",
            Event = RuleEvent.TimeElapsed,
            Timer = new RuleTimer { Since = RuleTimerMoment.Created, Minutes = 0 },
            Actions = [TicketAction.SetPriority(TicketPriority.High)],
        }, Ct));
        Assert.Equal("timer", zero.Field);
        Assert.Contains("minutes: a whole number of minutes from 1 to 525600", zero.Message, StringComparison.Ordinal);
    }

    private async Task RunSchedulerAsync(DateTimeOffset now) =>
        await stack.Service.Rest.Rpc("run_due_automations", new JsonObject
        {
            ["now"] = now.ToString("O", CultureInfo.InvariantCulture),
        }).ToJsonAsync(Ct);
}
