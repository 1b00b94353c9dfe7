using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Sla;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// <c>crm.Sla</c> against the DevStack: admins manage calendars and policies, agents read them, customers see none;
/// refused values come back as typed errors naming the field; a ticket's clocks are read by staff only. The stack is
/// shared, so each policy here matches only this test's own tickets (a marker tag) and everything is deleted at the end.
/// </summary>
public sealed class SlaIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Admins_manage_calendars_and_policies_agents_read_them_and_customers_see_none()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var agent = await stack.CreateUserAsync(UserRole.Agent);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var marker = "sla" + Guid.NewGuid().ToString("N")[..12];

        var calendar = await admin.Crm.Sla.CreateCalendarAsync(new NewBusinessCalendar
        {
            Name = "Berlin " + marker,
            TimeZone = "Europe/Berlin",
            Intervals =
            [
                new BusinessInterval { Day = BusinessDay.Monday, Start = "09:00", End = "12:30" },
                new BusinessInterval { Day = BusinessDay.Monday, Start = "13:30", End = "18:00" },
            ],
            Holidays = [new DateOnly(2026, 12, 25), new DateOnly(2026, 12, 24), new DateOnly(2026, 12, 25)],
        }, Ct);
        SlaPolicy? policy = null;
        try
        {
            Assert.Equal([new DateOnly(2026, 12, 24), new DateOnly(2026, 12, 25)], calendar.Holidays);
            Assert.Equal(BusinessDay.Monday, calendar.Intervals[1].Day);
            Assert.Equal("13:30", calendar.Intervals[1].Start);

            var renamed = await admin.Crm.Sla.UpdateCalendarAsync(calendar.Id, new BusinessCalendarPatch { Name = "Berlin office " + marker }, Ct);
            Assert.Equal("Berlin office " + marker, renamed.Name);
            Assert.Equal(2, renamed.Intervals.Count);
            Assert.Contains(await agent.Crm.Sla.ListCalendarsAsync(Ct).ToListAsync(Ct), c => c.Id == calendar.Id);
            Assert.Empty(await customer.Crm.Sla.ListCalendarsAsync(Ct).ToListAsync(Ct));
            await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Sla.GetCalendarAsync(calendar.Id, Ct));
            await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Sla.CreateCalendarAsync(new NewBusinessCalendar
            {
                Name = "Agent's " + marker, TimeZone = "UTC", Intervals = [new BusinessInterval { Day = BusinessDay.Friday, Start = "09:00", End = "17:00" }],
            }, Ct));

            policy = await admin.Crm.Sla.CreatePolicyAsync(new NewSlaPolicy
            {
                Name = "Policy " + marker,
                Position = -1000,
                Conditions = TicketConditions.AllOf(ConditionField.Tags.Contains(marker)),
                Targets = new Dictionary<string, SlaTargets> { ["normal"] = new() { FirstReply = 30, Resolution = 240 } },
            }, Ct);
            Assert.Equal(30, policy.TargetsFor(TicketPriority.Normal)!.FirstReply);
            Assert.Null(policy.TargetsFor(TicketPriority.Urgent));
            Assert.Null(policy.BusinessHoursId);
            var moved = await admin.Crm.Sla.UpdatePolicyAsync(policy.Id, new SlaPolicyPatch { BusinessHoursId = calendar.Id }, Ct);
            Assert.Equal(calendar.Id, moved.BusinessHoursId);
            Assert.Equal(policy.Id, (await agent.Crm.Sla.GetPolicyAsync(policy.Id, Ct)).Id);
            Assert.Contains(await agent.Crm.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct), p => p.Id == policy.Id);
            Assert.Empty(await customer.Crm.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct));

            // A calendar a policy counts in cannot be deleted.
            await Assert.ThrowsAsync<CrmConflictException>(() => admin.Crm.Sla.DeleteCalendarAsync(calendar.Id, Ct));

            // Left out of a patch, the calendar is kept; set to null, the policy counts in calendar time.
            Assert.Equal(calendar.Id, (await admin.Crm.Sla.UpdatePolicyAsync(policy.Id, new SlaPolicyPatch { Name = "Renamed " + marker }, Ct)).BusinessHoursId);
            Assert.Null((await admin.Crm.Sla.UpdatePolicyAsync(policy.Id, new SlaPolicyPatch { BusinessHoursId = null }, Ct)).BusinessHoursId);
            Assert.Null((await admin.Crm.Sla.GetPolicyAsync(policy.Id, Ct)).BusinessHoursId);
        }
        finally
        {
            if (policy is not null)
            {
                await admin.Crm.Sla.DeletePolicyAsync(policy.Id, Ct);
            }

            await admin.Crm.Sla.DeleteCalendarAsync(calendar.Id, Ct);
        }

        await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Sla.DeleteCalendarAsync(calendar.Id, Ct));
    }

    [Fact]
    public async Task Refused_calendars_and_policies_are_validation_errors_naming_the_field()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);

        var zone = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Sla.CreateCalendarAsync(new NewBusinessCalendar
        {
            Name = "Mars " + Guid.NewGuid().ToString("N")[..8],
            TimeZone = "Mars/Olympus",
            Intervals = [new BusinessInterval { Day = BusinessDay.Monday, Start = "09:00", End = "17:00" }],
        }, Ct));
        Assert.Equal("time_zone", zone.Field);
        Assert.Contains("\"Mars/Olympus\" is not an IANA time zone name", zone.Message, StringComparison.Ordinal);

        var targets = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Sla.CreatePolicyAsync(new NewSlaPolicy
        {
            Name = "Bad targets",
            Targets = new Dictionary<string, SlaTargets> { ["critical"] = new() { FirstReply = 5 } },
        }, Ct));
        Assert.Equal("targets", targets.Field);
        Assert.Equal("field \"targets\": critical: not a priority; use low, normal, high or urgent", targets.Message);
    }

    [Fact]
    public async Task Staff_read_the_clocks_of_a_ticket_and_customers_read_none()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var marker = "sla" + Guid.NewGuid().ToString("N")[..12];
        var policy = await admin.Crm.Sla.CreatePolicyAsync(new NewSlaPolicy
        {
            Name = "Clocks " + marker,
            Position = -1000,
            Conditions = TicketConditions.AllOf(ConditionField.Subject.Contains(marker)),
            Targets = new Dictionary<string, SlaTargets> { ["normal"] = new() { FirstReply = 30, Resolution = 240 } },
        }, Ct);
        try
        {
            var customer = await stack.CreateUserAsync(UserRole.Customer);
            var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Clocked " + marker, QueueId = queue.Id }, Ct);

            var clocks = await agent.Crm.Sla.ListClocksAsync(ticket.Id, Ct).ToListAsync(Ct);
            Assert.Equal(["first_reply", "resolution"], clocks.Select(c => c.Metric));
            Assert.All(clocks, c => Assert.Equal(policy.Id, c.PolicyId));
            Assert.Equal(ticket.CreatedAt.AddMinutes(30), clocks[0].DueAt);
            Assert.Empty(await customer.Crm.Sla.ListClocksAsync(ticket.Id, Ct).ToListAsync(Ct));
        }
        finally
        {
            await admin.Crm.Sla.DeletePolicyAsync(policy.Id, Ct);
        }
    }

    [Fact]
    public async Task Tickets_carry_their_SLA_state_for_staff_and_list_by_due_soonest_and_breached()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var marker = "sla" + Guid.NewGuid().ToString("N")[..12];
        // Ten hours to the first reply: no other test's scheduler run (at most two hours ahead, or this class's own
        // runs past ten hours on their own tickets) reaches these clocks before this test breaches them.
        var policy = await admin.Crm.Sla.CreatePolicyAsync(new NewSlaPolicy
        {
            Name = "State " + marker,
            Position = -1000,
            Conditions = TicketConditions.AllOf(ConditionField.Tags.Contains(marker)),
            Targets = new Dictionary<string, SlaTargets> { ["normal"] = new() { FirstReply = 600, Resolution = 6000 } },
        }, Ct);
        try
        {
            var tickets = new List<Ticket>();
            for (var i = 0; i < 3; i++)
            {
                tickets.Add(await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = $"State {i} {marker}", QueueId = queue.Id, Tags = [marker] }, Ct));
            }

            var first = await agent.Crm.Tickets.GetAsync(tickets[0].Id, cancellationToken: Ct);
            Assert.Equal(new TicketSlaState { Metric = "first_reply", DueAt = first.CreatedAt.AddMinutes(600), TargetMinutes = 600 }, first.Sla);
            Assert.Null((await customer.Crm.Tickets.GetAsync(tickets[0].Id, cancellationToken: Ct)).Sla);

            // The agent answers the first ticket: its next target is resolution, due last.
            await agent.Crm.Tickets.ReplyAsync(tickets[0].Id, "On it", cancellationToken: Ct);
            var dueSoonest = new TicketQuery { TagsAll = [marker], Sort = TicketSort.SlaDue, PageSize = 2 };
            var listed = await agent.Crm.Tickets.ListAsync(dueSoonest, Ct).ToListAsync(Ct);
            Assert.Equal([tickets[1].Id, tickets[2].Id, tickets[0].Id], listed.Select(t => t.Id));
            Assert.Equal(["first_reply", "first_reply", "resolution"], listed.Select(t => t.Sla!.Metric));
            var latestFirst = await agent.Crm.Tickets.ListAsync(dueSoonest with { Descending = true }, Ct).ToListAsync(Ct);
            Assert.Equal([tickets[0].Id, tickets[2].Id, tickets[1].Id], latestFirst.Select(t => t.Id));
            Assert.Empty(await customer.Crm.Tickets.ListAsync(dueSoonest, Ct).ToListAsync(Ct));
            Assert.Empty(await agent.Crm.Tickets.ListAsync(new TicketQuery { TagsAll = [marker], SlaBreached = true }, Ct).ToListAsync(Ct));

            // The scheduler runs just after the last first reply was due: the two unanswered tickets are breached.
            var now = tickets[2].CreatedAt.AddMinutes(601);
            await stack.Service.Rest.Rpc("run_due_automations", new System.Text.Json.Nodes.JsonObject
            {
                ["now"] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            }).ToJsonAsync(Ct);

            var breached = await agent.Crm.Tickets.ListAsync(new TicketQuery { TagsAll = [marker], SlaBreached = true }, Ct).ToListAsync(Ct);
            Assert.Equal([tickets[1].Id, tickets[2].Id], breached.Select(t => t.Id));
            Assert.All(breached, t => Assert.Equal(("first_reply", now, "resolution"), (t.Sla!.BreachedMetric, t.Sla.BreachedAt, t.Sla.Metric)));
            Assert.All(breached, t => Assert.True(t.Sla!.IsBreached));
            Assert.Equal([tickets[1].Id, tickets[2].Id], (await agent.Crm.Tickets.ListAsync(dueSoonest with { SlaBreached = true }, Ct).ToListAsync(Ct)).Select(t => t.Id));
            Assert.False((await agent.Crm.Tickets.GetAsync(tickets[0].Id, cancellationToken: Ct)).Sla!.IsBreached);

            // The history reads the breach event's facts.
            var history = await agent.Crm.Tickets.ListEventsAsync(tickets[1].Id, Ct).ToListAsync(Ct);
            var breach = Assert.Single(history, e => e.Kind == TicketEventKind.SlaBreached);
            Assert.Equal("first_reply", breach.Changes["metric"].New.GetString());
            Assert.Equal(tickets[1].CreatedAt.AddMinutes(600), breach.Changes["due_at"].New.GetDateTimeOffset());

            // Search has no SLA criteria: it says so rather than ignoring them.
            var refused = await Assert.ThrowsAsync<CrmValidationException>(async () =>
                await agent.Crm.Tickets.SearchAsync(new AutoCrm.Sdk.Search.TicketSearchQuery { Filter = new TicketQuery { SlaBreached = true } }, Ct).ToListAsync(Ct));
            Assert.Equal("sla_breached", refused.Field);
        }
        finally
        {
            await admin.Crm.Sla.DeletePolicyAsync(policy.Id, Ct);
        }
    }
}
