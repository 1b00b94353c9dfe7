using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>The one listing shape (<see cref="CrmPageable{T}"/>) against a real DevStack.</summary>
public sealed class PagingIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Four_tickets_in_pages_of_two_are_two_full_pages_and_no_empty_third()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        for (var i = 0; i < 4; i++)
        {
            await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Paged " + i }, Ct);
        }

        var query = new TicketQuery { PageSize = 2, Count = Rest.RestCount.Exact };
        var pages = await customer.Crm.Tickets.ListAsync(query, Ct).AsPages().ToListAsync(Ct);

        Assert.Equal([2, 2], pages.Select(p => p.Items.Count));
        Assert.Null(pages[1].ContinuationToken);
        Assert.All(pages, p => Assert.Equal(4, p.TotalCount));
        var resumed = await customer.Crm.Tickets.ListAsync(query, Ct).AsPages(pages[0].ContinuationToken).ToListAsync(Ct);
        Assert.Equal(pages[1].Items.Select(t => t.Id), Assert.Single(resumed).Items.Select(t => t.Id));
        Assert.Equal(4, resumed[0].TotalCount);
    }

    [Fact]
    public async Task A_token_reused_with_another_sort_is_refused_before_reaching_the_server()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "One" }, Ct);
        await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Two" }, Ct);
        var token = (await customer.Crm.Tickets.ListAsync(new TicketQuery { PageSize = 1 }, Ct).AsPages().FirstAsync(Ct)).ContinuationToken!;

        var error = Assert.Throws<CrmValidationException>(
            () => customer.Crm.Tickets.ListAsync(new TicketQuery { PageSize = 1, Sort = TicketSort.Priority }, Ct).AsPages(token));

        Assert.Equal("invalid_continuation_token", error.Code);
    }

    [Fact]
    public async Task Every_listing_is_a_counted_pageable()
    {
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var ticket = await agent.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Listed", QueueId = queue.Id, RequesterId = agent.Id, Description = "First." }, Ct);
        await agent.Crm.Tickets.ReplyAsync(ticket.Id, "Second.", cancellationToken: Ct);

        var messages = await agent.Crm.Tickets.ListMessagesAsync(ticket.Id, Ct).AsPages().SingleAsync(Ct);
        var events = await agent.Crm.Tickets.ListEventsAsync(ticket.Id, Ct).AsPages().SingleAsync(Ct);
        var members = await agent.Crm.Queues.ListMembersAsync(queue.Id, Ct).AsPages().SingleAsync(Ct);
        var queues = await agent.Crm.Queues.ListAsync(Ct).AsPages().FirstAsync(Ct);
        var agents = await agent.Crm.Profiles.ListAsync(UserRole.Agent, Ct).AsPages().FirstAsync(Ct);

        Assert.Equal(["First.", "Second."], messages.Items.Select(m => m.Body));
        Assert.Equal(2, messages.TotalCount);
        Assert.Equal(events.Items.Count, events.TotalCount);
        Assert.Equal(TicketEventKind.Created, events.Items[0].Kind);
        Assert.Equal(1, members.TotalCount);
        Assert.True(queues.TotalCount >= 1);
        Assert.True(agents.TotalCount >= 1);
    }
}
