using System.Text.Json.Nodes;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tests.Contract;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

public sealed class TicketIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_ticket_goes_from_customer_to_agent_and_back()
    {
        var queue = await stack.CreateQueueAsync();
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);

        var created = await customer.Crm.Tickets.CreateAsync(
            new NewTicket { Subject = "Printer on fire", Priority = TicketPriority.High, QueueId = queue.Id, Tags = ["hardware", "fire"], Description = "It smokes." },
            new OrderInfo("pro", 5), TestJsonContext.Default.OrderInfo, Ct);
        Assert.Equal(TicketStatus.New, created.Status);
        Assert.Equal(customer.Id, created.RequesterId);
        Assert.Equal(7, created.Id.ToString("D")[14] - '0');
        Assert.Equal(new OrderInfo("pro", 5), created.GetMetadata(TestJsonContext.Default.OrderInfo));

        var byNumber = await customer.Crm.Tickets.GetByNumberAsync(created.Number, TicketInclude.Conversation, Ct);
        Assert.Equal(created.Id, byNumber.Id);
        Assert.Equal("It smokes.", Assert.Single(byNumber.ConversationHistory!).Body);

        var mine = await ToListAsync(customer.Crm.Tickets.ListAsync(new TicketQuery { RequesterId = customer.Id, TagsAll = ["fire"], MetadataContains = CrmMetadata.Parse("""{"plan":"pro"}""") }, Ct));
        Assert.Equal([created.Id], mine.Select(t => t.Id));

        var claimed = await agent.Crm.Queues.ClaimNextAsync(queue.Id, Ct);
        Assert.Equal(created.Id, claimed!.Id);
        Assert.Equal(agent.Id, claimed.AssigneeId);
        Assert.Equal(TicketStatus.Open, claimed.Status);

        await agent.Crm.Tickets.ReplyAsync(created.Id, "We are on our way.", cancellationToken: Ct);
        await agent.Crm.Tickets.AddInternalNoteAsync(created.Id, "Bring an extinguisher.", cancellationToken: Ct);
        var current = await agent.Crm.Tickets.GetAsync(created.Id, cancellationToken: Ct);
        Assert.True(current.Version > claimed.Version);
        var pending = await agent.Crm.Tickets.UpdateAsync(created.Id, new TicketPatch { Status = TicketStatus.Pending }, current.Version, Ct);
        Assert.Equal(TicketStatus.Pending, pending.Status);
        Assert.Equal(current.Version + 1, pending.Version);
        var stale = await Assert.ThrowsAsync<CrmConflictException>(() => agent.Crm.Tickets.UpdateAsync(created.Id, new TicketPatch { Priority = TicketPriority.Low }, current.Version, Ct));
        Assert.Equal("version_mismatch", stale.Code);

        var customerView = await customer.Crm.Tickets.ListMessagesAsync(created.Id, Ct).ToListAsync(Ct);
        Assert.Equal(["It smokes.", "We are on our way."], customerView.Select(m => m.Body));
        var agentView = await agent.Crm.Tickets.GetAsync(created.Id, TicketInclude.Conversation | TicketInclude.Events, Ct);
        Assert.Equal(3, agentView.ConversationHistory!.Count);
        Assert.NotEmpty(agentView.Events!);
        var history = await agent.Crm.Tickets.ListEventsAsync(created.Id, Ct).ToListAsync(Ct);
        Assert.Equal(agentView.Events!.Select(e => e.Id), history.Select(e => e.Id));
        Assert.NotNull(agentView.FirstResponseAt);

        var reopened = await customer.Crm.Tickets.UpdateAsync(created.Id, new TicketPatch { Status = TicketStatus.Open }, cancellationToken: Ct);
        Assert.Equal(TicketStatus.Open, reopened.Status);

        await stack.Service.Tickets.DeleteAsync(created.Id, Ct);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Tickets.GetAsync(created.Id, cancellationToken: Ct));
    }

    [Fact]
    public async Task Creating_with_the_same_client_id_twice_returns_the_first_ticket_with_one_description()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var id = Guid.NewGuid();

        var first = await customer.Crm.Tickets.CreateAsync(new NewTicket { Id = id, Subject = "Once", Description = "Only once." }, Ct);
        var second = await customer.Crm.Tickets.CreateAsync(new NewTicket { Id = id, Subject = "Twice?", Description = "Only once." }, Ct);

        Assert.Equal(id, first.Id);
        Assert.Equal(first.Number, second.Number);
        Assert.Equal("Once", second.Subject);
        Assert.Equal("Only once.", Assert.Single(await customer.Crm.Tickets.ListMessagesAsync(id, Ct).ToListAsync(Ct)).Body);
    }

    [Fact]
    public async Task Agents_may_create_a_ticket_assigned_and_open_but_customers_may_not()
    {
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        var ticket = await agent.Crm.Tickets.CreateAsync(
            new NewTicket { Subject = "Phoned in", QueueId = queue.Id, RequesterId = customer.Id, Status = TicketStatus.Open, AssigneeId = agent.Id }, Ct);
        Assert.Equal(TicketStatus.Open, ticket.Status);
        Assert.Equal(agent.Id, ticket.AssigneeId);

        var id = Guid.NewGuid();
        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Tickets.CreateAsync(new NewTicket { Id = id, Subject = "Self-assigned", Status = TicketStatus.Open }, Ct));
        await Assert.ThrowsAsync<CrmNotFoundException>(() => stack.Service.Tickets.GetAsync(id, cancellationToken: Ct));
    }

    [Fact]
    public async Task The_creation_time_is_kept_only_for_the_service_key()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var then = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

        var restored = await stack.Service.Tickets.CreateAsync(new NewTicket { Subject = "Restored", RequesterId = customer.Id, CreatedAt = then }, Ct);
        var fresh = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Backdated?", CreatedAt = then }, Ct);

        Assert.Equal(then, restored.CreatedAt);
        Assert.True(fresh.CreatedAt > then.AddYears(1));
    }

    [Fact]
    public async Task Customer_B_gets_not_found_for_customer_As_ticket()
    {
        var a = await stack.CreateUserAsync(UserRole.Customer);
        var b = await stack.CreateUserAsync(UserRole.Customer);
        var ticket = await a.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Private" }, Ct);

        await Assert.ThrowsAsync<CrmNotFoundException>(() => b.Crm.Tickets.GetAsync(ticket.Id, cancellationToken: Ct));
        await Assert.ThrowsAsync<CrmNotFoundException>(() => b.Crm.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Subject = "Mine now" }, cancellationToken: Ct));
        Assert.DoesNotContain(await ToListAsync(b.Crm.Tickets.ListAsync(cancellationToken: Ct)), t => t.Id == ticket.Id);
        await Assert.ThrowsAnyAsync<CrmException>(() => b.Crm.Tickets.ReplyAsync(ticket.Id, "hi", cancellationToken: Ct));
    }

    [Fact]
    public async Task Customer_cannot_change_the_assignee()
    {
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Assign me", QueueId = queue.Id }, Ct);

        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Tickets.UpdateAsync(ticket.Id, new TicketPatch { AssigneeId = agent.Id }, cancellationToken: Ct));
        Assert.Null((await stack.Service.Tickets.GetAsync(ticket.Id, cancellationToken: Ct)).AssigneeId);
    }

    [Fact]
    public async Task Customer_cannot_write_internal_notes()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Notes" }, Ct);

        await Assert.ThrowsAnyAsync<CrmException>(() => customer.Crm.Tickets.AddInternalNoteAsync(ticket.Id, "sneaky", cancellationToken: Ct));
    }

    [Fact]
    public async Task Only_admins_delete_tickets()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Delete me" }, Ct);

        await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Tickets.DeleteAsync(ticket.Id, Ct));
        await admin.Crm.Tickets.DeleteAsync(ticket.Id, Ct);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Tickets.GetAsync(ticket.Id, cancellationToken: Ct));
    }

    internal static async Task<List<Ticket>> ToListAsync(IAsyncEnumerable<Ticket> tickets)
    {
        var list = new List<Ticket>();
        await foreach (var ticket in tickets.WithCancellation(Ct))
        {
            list.Add(ticket);
        }

        return list;
    }
}
