using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Tests.Realtime;
using AutoCrm.Sdk.Tickets;
using AutoCrm.Sdk.Views;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>Saved views through the SDK, the DevStack and PostgreSQL, as each role; and their live counts over realtime.</summary>
public sealed class ViewIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Own_views_are_private_shared_views_are_for_staff_and_only_admins_change_them()
    {
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var team = "Team " + Guid.NewGuid().ToString("N")[..8];

        var mine = await agent.Crm.Views.CreateAsync(new NewSavedView { Name = "  My billing ", Query = "status:open tag:billing", Sort = "created_at.asc", Position = 2 }, Ct);
        Assert.Equal(("My billing", "status:open tag:billing", "created_at.asc", 2, false, agent.Id), (mine.Name, mine.Query, mine.Sort, mine.Position, mine.Shared, mine.OwnerId));
        var shared = await admin.Crm.Views.CreateAsync(new NewSavedView { Name = team, Query = "priority>=high", Shared = true }, Ct);
        Assert.Equal(SavedViewSorts.UpdatedDescending, shared.Sort);

        var agentSees = await agent.Crm.Views.ListAsync(Ct).ToListAsync(Ct);
        Assert.Contains(agentSees, v => v.Id == mine.Id);
        Assert.Contains(agentSees, v => v.Id == shared.Id);
        Assert.DoesNotContain(await customer.Crm.Views.ListAsync(Ct).ToListAsync(Ct), v => v.Id == mine.Id || v.Id == shared.Id);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => customer.Crm.Views.GetAsync(shared.Id, Ct));

        // Only admins change or share team views; the agent's attempts change nothing.
        await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Views.UpdateAsync(shared.Id, new SavedViewPatch { Name = "Mine now" }, Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Views.CreateAsync(new NewSavedView { Name = "Shared by agent", Shared = true }, Ct));
        await agent.Crm.Views.DeleteAsync(shared.Id, Ct);
        Assert.Equal(team, (await agent.Crm.Views.GetAsync(shared.Id, Ct)).Name);

        var renamed = await agent.Crm.Views.UpdateAsync(mine.Id, new SavedViewPatch { Name = "Billing, open", Query = "status:open tag:billing,refund" }, Ct);
        Assert.Equal(("Billing, open", "status:open tag:billing,refund", "created_at.asc"), (renamed.Name, renamed.Query, renamed.Sort));
        await Assert.ThrowsAsync<CrmConflictException>(() => agent.Crm.Views.CreateAsync(new NewSavedView { Name = "billing, OPEN" }, Ct));

        await agent.Crm.Views.DeleteAsync(mine.Id, Ct);
        await admin.Crm.Views.DeleteAsync(shared.Id, Ct);
        Assert.DoesNotContain(await agent.Crm.Views.ListAsync(Ct).ToListAsync(Ct), v => v.Id == mine.Id || v.Id == shared.Id);
    }

    [Fact]
    public async Task A_query_or_sort_no_client_could_run_is_refused_before_anything_is_sent()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        var query = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Crm.Views.CreateAsync(new NewSavedView { Name = "Typo", Query = "stauts:open" }, Ct));
        Assert.Equal(("invalid_query", "query"), (query.Code, query.Field));
        Assert.Contains("stauts", query.Message, StringComparison.Ordinal);
        var sort = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Crm.Views.CreateAsync(new NewSavedView { Name = "Sorted", Sort = "subject.asc" }, Ct));
        Assert.Equal("sort", sort.Field);
        var name = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Crm.Views.CreateAsync(new NewSavedView { Name = "  " }, Ct));
        Assert.Equal("name", name.Field);
        Assert.Throws<CrmValidationException>(() => customer.Crm.Views.LiveCount(new SavedView { Id = Guid.NewGuid(), Query = "created>yesterday" }));
        Assert.Empty(await customer.Crm.Views.ListAsync(Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task A_views_live_count_follows_ticket_changes_under_row_level_security()
    {
        var tag = "v" + Guid.NewGuid().ToString("N")[..12];
        var queue = await stack.CreateQueueAsync();
        var other = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var view = await agent.Crm.Views.CreateAsync(new NewSavedView { Name = "Tagged " + tag, Query = $"tag:{tag} -status:closed" }, Ct);
        await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Already there", QueueId = queue.Id, Tags = [tag] }, Ct);

        var counts = new Recorder<long>();
        using var subscription = await agent.Crm.Views.LiveCount(view).SubscribeAsync(counts, Ct);
        Assert.Equal(1, await counts.NextAsync());

        // A matching ticket in the agent's queue counts; one in a queue the agent cannot see does not.
        await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Hidden from the agent", QueueId = other.Id, Tags = [tag] }, Ct);
        var second = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Second", QueueId = queue.Id, Tags = [tag] }, Ct);
        Assert.Equal(2, await counts.NextAsync());

        // Closing it takes it out of the view.
        await customer.Crm.Tickets.UpdateAsync(second.Id, new TicketPatch { Status = TicketStatus.Closed }, cancellationToken: Ct);
        Assert.Equal(1, await counts.NextAsync());
        Assert.False(counts.Error.Task.IsCompleted);
    }
}
