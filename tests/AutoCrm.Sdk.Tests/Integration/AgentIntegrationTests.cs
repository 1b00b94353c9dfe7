using AutoCrm.Sdk.Agents;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>
/// <c>crm.Agents</c> against the DevStack: agents set their own status and read everyone's state, admins set capacity,
/// skills, queue routing and the default, customers see nothing and may change nothing, refusals are typed; automatic
/// queues assign new tickets to online agents only; the presence marks an idle agent away in the database. The stack is
/// shared, so each test works in its own queue and leaves the default capacity as it found it.
/// </summary>
public sealed class AgentIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Agents_set_their_own_status_staff_read_every_state_and_customers_neither()
    {
        var queue = await stack.CreateQueueAsync();
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var other = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        Assert.Equal(AgentStatus.Offline, (await agent.Crm.Agents.GetMyStateAsync(Ct)).Status);
        var online = await agent.Crm.Agents.SetStatusAsync(AgentStatus.Online, Ct);
        Assert.Equal(agent.Id, online.AgentId);
        Assert.Equal(AgentStatus.Online, online.Status);
        Assert.Equal(AgentStatus.Online, (await agent.Crm.Agents.GetMyStateAsync(Ct)).Status);
        Assert.Equal(AgentStatus.Online, (await other.Crm.Agents.GetAsync(agent.Id, Ct)).Status);
        Assert.Contains(await other.Crm.Agents.ListAsync(AgentStatus.Online, Ct).ToListAsync(Ct), a => a.AgentId == agent.Id);
        Assert.DoesNotContain(await other.Crm.Agents.ListAsync(AgentStatus.Offline, Ct).ToListAsync(Ct), a => a.AgentId == agent.Id);

        Assert.Empty(await customer.Crm.Agents.ListAsync(cancellationToken: Ct).ToListAsync(Ct));
        await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Agents.GetAsync(agent.Id, Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Agents.SetStatusAsync(AgentStatus.Online, Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => other.Crm.Agents.SetStatusAsync(agent.Id, AgentStatus.Offline, Ct));
        await Assert.ThrowsAsync<CrmAuthException>(() => stack.Client().Agents.SetStatusAsync(AgentStatus.Online, Ct));

        // Admins (and the hosts on sign-out, with the service role) set anyone's status.
        Assert.Equal(AgentStatus.Offline, (await admin.Crm.Agents.SetStatusAsync(agent.Id, AgentStatus.Offline, Ct)).Status);
        Assert.Equal(AgentStatus.Away, (await stack.Service.Agents.SetStatusAsync(agent.Id, AgentStatus.Away, Ct)).Status);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Agents.SetStatusAsync(customer.Id, AgentStatus.Online, Ct));
    }

    [Fact]
    public async Task Admins_set_capacity_skills_queue_routing_and_the_default_and_refusals_are_typed()
    {
        var queue = await stack.CreateQueueAsync();
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        var capped = await admin.Crm.Agents.SetCapacityAsync(agent.Id, 2, Ct);
        Assert.Equal(2, capped.Capacity);
        Assert.Null((await admin.Crm.Agents.SetCapacityAsync(agent.Id, null, Ct)).Capacity);
        var skilled = await admin.Crm.Agents.SetSkillsAsync(agent.Id, ["german", "billing", "german"], Ct);
        Assert.Equal(["billing", "german"], skilled.Skills);
        Assert.Equal(["billing", "german"], (await agent.Crm.Agents.GetMyStateAsync(Ct)).Skills);

        Assert.Equal(RoutingMode.Manual, (await agent.Crm.Agents.GetQueueRoutingAsync(queue.Id, Ct)).Mode);
        var routing = await admin.Crm.Agents.SetQueueRoutingAsync(queue.Id, RoutingMode.LeastLoaded, 4, Ct);
        Assert.Equal(RoutingMode.LeastLoaded, routing.Mode);
        Assert.Equal(4, routing.Capacity);
        Assert.Equal(routing, await agent.Crm.Agents.GetQueueRoutingAsync(queue.Id, Ct));
        Assert.Contains(await agent.Crm.Agents.ListQueueRoutingAsync(Ct).ToListAsync(Ct), r => r.QueueId == queue.Id && r.Mode == RoutingMode.LeastLoaded);
        Assert.Empty(await customer.Crm.Agents.ListQueueRoutingAsync(Ct).ToListAsync(Ct));

        // The default is shared by every test on this stack: set it to what it is (the call path), refuse the rest.
        var defaults = await agent.Crm.Agents.GetDefaultsAsync(Ct);
        Assert.Equal(defaults.DefaultCapacity, (await admin.Crm.Agents.SetDefaultCapacityAsync(defaults.DefaultCapacity, Ct)).DefaultCapacity);
        await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Agents.SetDefaultCapacityAsync(5, Ct));
        await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Agents.GetDefaultsAsync(Ct));
        Assert.Equal("default_capacity", (await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Agents.SetDefaultCapacityAsync(-1, Ct))).Field);

        Assert.Equal("capacity", (await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Agents.SetCapacityAsync(agent.Id, 1001, Ct))).Field);
        Assert.Equal("capacity", (await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Agents.SetQueueRoutingAsync(queue.Id, RoutingMode.RoundRobin, -1, Ct))).Field);
        var badSkill = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Agents.SetSkillsAsync(agent.Id, ["Billing Team"], Ct));
        Assert.Equal("skills", badSkill.Field);
        Assert.Contains("\"Billing Team\" is not a skill name", badSkill.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Agents.SetCapacityAsync(agent.Id, 10, Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Agents.SetSkillsAsync(agent.Id, ["anything"], Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Agents.SetQueueRoutingAsync(queue.Id, RoutingMode.Manual, cancellationToken: Ct));
        await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Agents.SetCapacityAsync(customer.Id, 1, Ct));
        await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Agents.SetQueueRoutingAsync(Guid.NewGuid(), RoutingMode.RoundRobin, cancellationToken: Ct));

        // Unchanged by the refusals.
        var after = await admin.Crm.Agents.GetAsync(agent.Id, Ct);
        Assert.Null(after.Capacity);
        Assert.Equal(["billing", "german"], after.Skills);
        Assert.Equal(4, (await admin.Crm.Agents.GetQueueRoutingAsync(queue.Id, Ct)).Capacity);
    }

    [Fact]
    public async Task Staff_set_the_skills_a_ticket_needs_and_customers_cannot()
    {
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Needs German", QueueId = queue.Id }, Ct);

        Assert.Empty((await agent.Crm.Agents.GetTicketSkillsAsync(ticket.Id, Ct)).RequiredSkills);
        var set = await agent.Crm.Agents.SetTicketSkillsAsync(ticket.Id, ["german", "billing"], Ct);
        Assert.Equal(ticket.Id, set.TicketId);
        Assert.Equal(["billing", "german"], set.RequiredSkills);
        Assert.Equal(set.RequiredSkills, (await agent.Crm.Agents.GetTicketSkillsAsync(ticket.Id, Ct)).RequiredSkills);

        var refused = await Assert.ThrowsAsync<CrmValidationException>(() => agent.Crm.Agents.SetTicketSkillsAsync(ticket.Id, ["no spaces"], Ct));
        Assert.Equal("required_skills", refused.Field);
        var customerRefused = await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Agents.SetTicketSkillsAsync(ticket.Id, ["german"], Ct));
        Assert.Contains("only agents and admins set the skills a ticket needs", customerRefused.Message, StringComparison.Ordinal);
        Assert.Equal(["billing", "german"], (await agent.Crm.Agents.GetTicketSkillsAsync(ticket.Id, Ct)).RequiredSkills);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => agent.Crm.Agents.GetTicketSkillsAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task An_automatic_queue_assigns_new_tickets_to_online_agents_only()
    {
        var queue = await stack.CreateQueueAsync();
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var first = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var second = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        await admin.Crm.Agents.SetQueueRoutingAsync(queue.Id, RoutingMode.RoundRobin, cancellationToken: Ct);

        await first.Crm.Agents.SetStatusAsync(AgentStatus.Online, Ct);
        Assert.Equal(first.Id, await AssigneeOfNewTicketAsync(customer, queue.Id, "While the first is online"));

        await first.Crm.Agents.SetStatusAsync(AgentStatus.Away, Ct);
        await second.Crm.Agents.SetStatusAsync(AgentStatus.Online, Ct);
        Assert.Equal(second.Id, await AssigneeOfNewTicketAsync(customer, queue.Id, "While the first is away"));

        await second.Crm.Agents.SetStatusAsync(AgentStatus.Offline, Ct);
        Assert.Null(await AssigneeOfNewTicketAsync(customer, queue.Id, "While nobody is online"));

        // Coming online takes the waiting ticket in the same call.
        var back = await first.Crm.Agents.SetStatusAsync(AgentStatus.Online, Ct);
        Assert.Equal(2, back.OpenTickets);
        Assert.Equal(2, (await admin.Crm.Agents.GetAsync(first.Id, Ct)).OpenTickets);
    }

    [Fact]
    public async Task The_presence_marks_an_idle_agent_away_in_the_database_and_back_online_on_activity()
    {
        var user = await stack.CreateUserAsync(UserRole.Agent);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var crm = new CrmClient(new CrmClientOptions { Url = stack.Server.Url, ApiKey = stack.Server.AnonKey, TimeProvider = time, MaxRetries = 0 });
        await crm.Auth.SignInWithPasswordAsync(user.Email, DevStackFixture.Password, Ct);

        await using var presence = await crm.Agents.StartPresenceAsync(new AgentPresenceOptions { IdleTimeout = TimeSpan.FromMinutes(3) }, Ct);
        Assert.Equal(AgentStatus.Online, (await user.Crm.Agents.GetMyStateAsync(Ct)).Status);

        var away = new TaskCompletionSource<AgentStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (presence.StatusChanges.Subscribe(s => away.TrySetResult(s)))
        {
            time.Advance(TimeSpan.FromMinutes(3));
            Assert.Equal(AgentStatus.Away, await away.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct));
        }

        Assert.Equal(AgentStatus.Away, (await user.Crm.Agents.GetMyStateAsync(Ct)).Status);
        await presence.ReportActivityAsync(Ct);
        Assert.Equal(AgentStatus.Online, (await user.Crm.Agents.GetMyStateAsync(Ct)).Status);

        await Assert.ThrowsAsync<CrmValidationException>(() => crm.Agents.StartPresenceAsync(new AgentPresenceOptions { IdleTimeout = TimeSpan.Zero }, Ct));
    }

    private async Task<Guid?> AssigneeOfNewTicketAsync(TestUser customer, Guid queueId, string subject)
    {
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = subject, QueueId = queueId }, Ct);
        return (await stack.Service.Tickets.GetAsync(ticket.Id, cancellationToken: Ct)).AssigneeId;
    }
}
