using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

public sealed class QueueIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Claim_release_assign_transfer_members_and_stats()
    {
        var queue = await stack.CreateQueueAsync();
        var other = await stack.CreateQueueAsync();
        var alice = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var bob = await stack.CreateUserAsync(UserRole.Agent, queue.Id, other.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var normal = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Normal", QueueId = queue.Id }, Ct);
        var urgent = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Urgent", QueueId = queue.Id, Priority = TicketPriority.Urgent }, Ct);

        Assert.Contains(await alice.Crm.Queues.ListAsync(Ct).ToListAsync(Ct), q => q.Id == queue.Id);
        Assert.Equal(queue.Id, (await alice.Crm.Queues.GetBySlugAsync(queue.Slug, Ct)).Id);
        var stats = (await alice.Crm.Queues.GetStatsAsync(Ct)).Single(s => s.QueueId == queue.Id);
        Assert.Equal(2, stats.NewCount);
        Assert.Equal(2, stats.UnassignedCount);

        var first = await alice.Crm.Queues.ClaimNextAsync(queue.Id, Ct);
        Assert.Equal(urgent.Id, first!.Id);
        var released = await alice.Crm.Queues.ReleaseAsync(urgent.Id, Ct);
        Assert.Null(released.AssigneeId);
        var assigned = await alice.Crm.Queues.AssignAsync(urgent.Id, bob.Id, Ct);
        Assert.Equal(bob.Id, assigned.AssigneeId);
        var transferred = await bob.Crm.Queues.TransferAsync(urgent.Id, other.Id, Ct);
        Assert.Equal(other.Id, transferred.QueueId);

        Assert.Equal(normal.Id, (await alice.Crm.Queues.ClaimNextAsync(cancellationToken: Ct))!.Id);
        Assert.Null(await alice.Crm.Queues.ClaimNextAsync(queue.Id, Ct));

        var members = await stack.Service.Queues.ListMembersAsync(queue.Id, Ct).ToListAsync(Ct);
        Assert.Equal(new[] { alice.Id, bob.Id }.Order(), members.Select(m => m.AgentId).Order());
        await stack.Service.Queues.RemoveMemberAsync(queue.Id, bob.Id, Ct);
        Assert.Equal([alice.Id], (await alice.Crm.Queues.ListMembersAsync(queue.Id, Ct).ToListAsync(Ct)).Select(m => m.AgentId));
        Assert.Contains(await alice.Crm.Profiles.ListAsync(UserRole.Agent, Ct).ToListAsync(Ct), p => p.Id == bob.Id);
    }

    [Fact]
    public async Task Agent_outside_the_queue_cannot_claim_from_it()
    {
        var queue = await stack.CreateQueueAsync();
        var outsider = await stack.CreateUserAsync(UserRole.Agent);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Not yours", QueueId = queue.Id }, Ct);

        await Assert.ThrowsAsync<CrmForbiddenException>(() => outsider.Crm.Queues.ClaimNextAsync(queue.Id, Ct));
        Assert.Null(await outsider.Crm.Queues.ClaimNextAsync(cancellationToken: Ct));
        Assert.Null((await stack.Service.Tickets.GetAsync(ticket.Id, cancellationToken: Ct)).AssigneeId);
    }

    [Fact]
    public async Task Admin_creates_queues_and_changes_roles()
    {
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var slug = "adm-" + Guid.NewGuid().ToString("N")[..12];

        var queue = await admin.Crm.Queues.CreateAsync(new NewQueue { Slug = slug, Name = "Admin made", Description = "x" }, Ct);
        await Assert.ThrowsAsync<CrmConflictException>(() => admin.Crm.Queues.CreateAsync(new NewQueue { Slug = slug, Name = "Again" }, Ct));
        var promoted = await admin.Crm.Profiles.SetRoleAsync(customer.Id, UserRole.Agent, Ct);
        Assert.Equal(UserRole.Agent, promoted.Role);
        await admin.Crm.Queues.AddMemberAsync(queue.Id, customer.Id, Ct);
        await admin.Crm.Queues.AddMemberAsync(queue.Id, customer.Id, Ct);
        Assert.Single(await admin.Crm.Queues.ListMembersAsync(queue.Id, Ct).ToListAsync(Ct));
        await Assert.ThrowsAnyAsync<CrmException>(() => customer.Crm.Profiles.SetRoleAsync(customer.Id, UserRole.Admin, Ct));
        await admin.Crm.Queues.DeleteAsync(queue.Id, Ct);
        var gone = await Assert.ThrowsAsync<CrmNotFoundException>(() => admin.Crm.Queues.GetBySlugAsync(slug, Ct));
        Assert.Equal($"Queue '{slug}' does not exist or is not visible to the caller.", gone.Message);
    }

    [Fact]
    public async Task Fifty_agents_claim_a_thousand_tickets_each_exactly_once()
    {
        var queue = await stack.CreateQueueAsync();
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        await InsertTicketsAsync(stack.Service, queue.Id, customer.Id, 1000, "claim");
        // Creating users hashes passwords (bcrypt): a few at a time, so set-up does not starve the server.
        using var setUp = new SemaphoreSlim(4);
        var agents = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            await setUp.WaitAsync(Ct);
            try
            {
                return await stack.CreateUserAsync(UserRole.Agent, queue.Id);
            }
            finally
            {
                setUp.Release();
            }
        }));

        var claims = new ConcurrentBag<(Guid Agent, Guid Ticket)>();
        await Task.WhenAll(agents.Select(agent => Task.Run(async () =>
        {
            while (await agent.Crm.Queues.ClaimNextAsync(queue.Id, Ct) is { } ticket)
            {
                Assert.Equal(agent.Id, ticket.AssigneeId);
                claims.Add((agent.Id, ticket.Id));
            }
        }, Ct)));

        Assert.Equal(1000, claims.Count);
        Assert.Equal(1000, claims.Select(c => c.Ticket).Distinct().Count());
        var stats = (await stack.Service.Queues.GetStatsAsync(Ct)).Single(s => s.QueueId == queue.Id);
        Assert.Equal(0, stats.UnassignedCount);
    }

    /// <summary>Bulk-inserts tickets through the REST builder with the service key (1,000 rows per request).</summary>
    internal static async Task InsertTicketsAsync(CrmClient service, Guid queueId, Guid requesterId, int count, string tag)
    {
        for (var start = 0; start < count; start += 1000)
        {
            var rows = new JsonArray();
            for (var i = start; i < Math.Min(count, start + 1000); i++)
            {
                rows.Add(new JsonObject
                {
                    ["subject"] = $"{tag} #{i}",
                    ["queue_id"] = queueId.ToString(),
                    ["requester_id"] = requesterId.ToString(),
                    ["tags"] = new JsonArray(tag),
                    ["priority"] = (i % 4) switch { 0 => "low", 1 => "normal", 2 => "high", _ => "urgent" },
                });
            }

            await service.Rest.From("tickets").Insert(rows).ExecuteAsync(Ct);
        }
    }
}
