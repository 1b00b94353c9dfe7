using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Tests;

public sealed class QueueCommandTests(DevStackFixture stack)
{
    [Fact]
    public async Task List_and_stats_show_the_seeded_queues()
    {
        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");
        var queues = (await alice.RunAsync("queue", "list", "--json")).Succeeded().Json;
        var slugs = queues.EnumerateArray().Select(q => q.GetProperty("slug").GetString()).ToList();
        Assert.Contains("general", slugs);
        Assert.Contains("billing", slugs);
        Assert.Contains("general", (await alice.RunAsync("queue", "list")).Succeeded().Text, StringComparison.Ordinal);

        var stats = (await alice.RunAsync("queue", "stats", "--json")).Succeeded().Json;
        var general = Assert.Single(stats.EnumerateArray(), s => s.GetProperty("slug").GetString() == "general");
        Assert.True(general.GetProperty("new_count").GetInt64() >= 0);
        Assert.True(general.GetProperty("unassigned_count").GetInt64() >= 0);
        Assert.Contains("unassigned", (await alice.RunAsync("queue", "stats")).Succeeded().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claim_release_assign_and_transfer_route_a_ticket()
    {
        using var service = stack.ServiceClient();
        var ct = TestContext.Current.CancellationToken;
        var queue = await service.Queues.CreateAsync(new NewQueue { Slug = "q-" + Guid.NewGuid().ToString("N")[..10], Name = "Routing test" }, ct);
        var billing = await service.Queues.GetBySlugAsync("billing", ct);
        var profiles = await service.Profiles.ListAsync(cancellationToken: ct).ToListAsync(ct);
        var bob = profiles.Single(p => p.Email == "agent.bob@autocrm.demo");
        var alice = profiles.Single(p => p.Email == "agent.alice@autocrm.demo");
        var carol = profiles.Single(p => p.Email == "carol@customer.demo");
        await service.Queues.AddMemberAsync(queue.Id, bob.Id, ct);
        var ticket = await service.Tickets.CreateAsync(new NewTicket { Subject = "Route me", QueueId = queue.Id, RequesterId = carol.Id }, ct);

        var cli = stack.Cli();
        await cli.LoginAsync("agent.bob@autocrm.demo");
        var claimed = (await cli.RunAsync("queue", "claim", queue.Slug, "--json")).Succeeded().Json;
        Assert.Equal(ticket.Id.ToString(), claimed.GetProperty("id").GetString());
        Assert.Equal(bob.Id.ToString(), claimed.GetProperty("assignee_id").GetString());

        var empty = await cli.RunAsync("queue", "claim", queue.Slug);
        Assert.Equal(3, empty.ExitCode);

        var released = (await cli.RunAsync("queue", "release", ticket.Id.ToString(), "--json")).Succeeded().Json;
        Assert.False(released.TryGetProperty("assignee_id", out _), "released tickets have no assignee");

        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");
        var assigned = (await admin.RunAsync("queue", "assign", ticket.Id.ToString(), "agent.alice@autocrm.demo", "--json")).Succeeded().Json;
        Assert.Equal(alice.Id.ToString(), assigned.GetProperty("assignee_id").GetString());
        var moved = (await admin.RunAsync("queue", "transfer", "#" + ticket.Number, "billing", "--json")).Succeeded().Json;
        Assert.Equal(billing.Id.ToString(), moved.GetProperty("queue_id").GetString());
        Assert.Contains("Transferred ticket", (await admin.RunAsync("queue", "transfer", ticket.Id.ToString(), queue.Slug)).Succeeded().Text, StringComparison.Ordinal);

        var history = await service.Tickets.ListEventsAsync(ticket.Id, ct).ToListAsync(ct);
        Assert.Contains(history, e => e.Kind == TicketEventKind.QueueChanged);
    }

    [Fact]
    public async Task Customers_cannot_assign_and_unknown_queues_exit_3()
    {
        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        var id = (await carol.RunAsync("tickets", "create", "--subject", "Assign me", "--json")).Succeeded().Json.GetProperty("id").GetString()!;
        Assert.Equal(4, (await carol.RunAsync("queue", "assign", id, "a0000000-0000-4000-8000-000000000002")).ExitCode);
        Assert.Equal(3, (await carol.RunAsync("queue", "transfer", id, "no-such-queue")).ExitCode);
    }
}
