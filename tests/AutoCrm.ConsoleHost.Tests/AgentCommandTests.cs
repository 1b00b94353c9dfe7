using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary>
/// <c>autocrm agents status|list|capacity|skills</c> and <c>autocrm queue routing</c> against the DevStack. The stack is
/// shared with other tests, so these work on agents and a queue of their own and never change the default capacity.
/// </summary>
public sealed class AgentCommandTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Agents_show_and_set_their_status_and_customers_are_refused()
    {
        using var service = stack.ServiceClient();
        var agent = await NewUserAsync(service, UserRole.Agent);
        var cli = stack.Cli();
        await cli.LoginAsync(agent.Email);

        Assert.Equal("offline", (await cli.RunAsync("agents", "status", "--json")).Succeeded().Json.GetProperty("status").GetString());
        var away = (await cli.RunAsync("agents", "status", "away", "--json")).Succeeded().Json;
        Assert.Equal("away", away.GetProperty("status").GetString());
        Assert.Equal(agent.Id.ToString(), away.GetProperty("agent_id").GetString());
        Assert.Contains("Status set: agent", (await cli.RunAsync("agents", "status", "online")).Succeeded().Text, StringComparison.Ordinal);
        Assert.Contains(
            (await cli.RunAsync("agents", "list", "--status", "online", "--json")).Succeeded().Json.EnumerateArray(),
            a => a.GetProperty("agent_id").GetString() == agent.Id.ToString());
        Assert.Contains(agent.Email, (await cli.RunAsync("agents", "list")).Succeeded().Text, StringComparison.Ordinal);

        Assert.Equal(2, (await cli.RunAsync("agents", "status", "busy")).ExitCode);
        Assert.Equal(4, (await cli.RunAsync("agents", "status", "offline", "--agent", "agent.alice@autocrm.demo")).ExitCode);

        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");
        var offline = (await admin.RunAsync("agents", "status", "offline", "--agent", agent.Email, "--json")).Succeeded().Json;
        Assert.Equal("offline", offline.GetProperty("status").GetString());

        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        Assert.Equal(4, (await carol.RunAsync("agents", "status", "online")).ExitCode);

        // A customer sees no one in the team list: an empty answer (exit 0), not a missing-defaults error.
        Assert.Contains("No agents visible to you", (await carol.RunAsync("agents", "list")).Succeeded().Text, StringComparison.Ordinal);
        Assert.Empty((await carol.RunAsync("agents", "list", "--json")).Succeeded().Json.EnumerateArray());
    }

    [Fact]
    public async Task Admins_set_capacity_skills_and_queue_routing_and_refusals_exit_with_their_codes()
    {
        using var service = stack.ServiceClient();
        var agent = await NewUserAsync(service, UserRole.Agent);
        var queue = await service.Queues.CreateAsync(new NewQueue { Slug = "ag-" + Guid.NewGuid().ToString("N")[..10], Name = "Agents CLI" }, Ct);
        await service.Queues.AddMemberAsync(queue.Id, agent.Id, Ct);
        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");

        Assert.Equal(3, (await admin.RunAsync("agents", "capacity", "3", "--agent", agent.Email, "--json")).Succeeded().Json.GetProperty("capacity").GetInt32());
        Assert.False((await admin.RunAsync("agents", "capacity", "inherit", "--agent", agent.Email, "--json")).Succeeded().Json.TryGetProperty("capacity", out _));
        Assert.Contains("capacity inherited", (await admin.RunAsync("agents", "capacity", "--agent", agent.Email)).Succeeded().Text, StringComparison.Ordinal);

        var routed = (await admin.RunAsync("queue", "routing", queue.Slug, "round_robin", "--capacity", "4", "--json")).Succeeded().Json;
        Assert.Equal("round_robin", routed.GetProperty("mode").GetString());
        Assert.Equal(4, routed.GetProperty("capacity").GetInt32());
        var capped = (await admin.RunAsync("agents", "capacity", "2", "--queue", queue.Slug, "--json")).Succeeded().Json;
        Assert.Equal("round_robin", capped.GetProperty("mode").GetString());   // the mode is kept
        Assert.Equal(2, capped.GetProperty("capacity").GetInt32());
        Assert.Contains("routes round_robin, capacity 2", (await admin.RunAsync("queue", "routing", queue.Slug)).Succeeded().Text, StringComparison.Ordinal);
        Assert.Contains("default capacity", (await admin.RunAsync("agents", "capacity", "--default")).Succeeded().Text, StringComparison.Ordinal);

        var skills = (await admin.RunAsync("agents", "skills", agent.Email, "german", "billing,german", "--json")).Succeeded().Json;
        Assert.Equal(["billing", "german"], skills.GetProperty("skills").EnumerateArray().Select(e => e.GetString()).ToArray());
        var carol = (await service.Profiles.ListAsync(UserRole.Customer, Ct).ToListAsync(Ct)).First(p => p.Email == "carol@customer.demo");
        var ticket = await service.Tickets.CreateAsync(new NewTicket { Subject = "Needs billing", QueueId = queue.Id, RequesterId = carol.Id }, Ct);
        var needs = (await admin.RunAsync("agents", "skills", "#" + ticket.Number, "billing", "--ticket", "--json")).Succeeded().Json;
        Assert.Equal(["billing"], needs.GetProperty("required_skills").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Contains("needs none", (await admin.RunAsync("agents", "skills", ticket.Id.ToString(), "--ticket", "--clear")).Succeeded().Text, StringComparison.Ordinal);

        // Refusals: usage (2), the database's validation (1, naming the field), not allowed (4), not found (3).
        Assert.Equal(2, (await admin.RunAsync("agents", "capacity", "lots", "--agent", agent.Email)).ExitCode);
        Assert.Equal(2, (await admin.RunAsync("agents", "capacity", "3")).ExitCode);
        var tooMany = await admin.RunAsync("agents", "capacity", "1001", "--agent", agent.Email);
        Assert.Equal(1, tooMany.ExitCode);
        Assert.Contains("capacity", tooMany.Error, StringComparison.Ordinal);
        var badSkill = await admin.RunAsync("agents", "skills", agent.Email, "Not_A_Skill");
        Assert.Equal(1, badSkill.ExitCode);
        Assert.Contains("is not a skill name", badSkill.Error, StringComparison.Ordinal);
        Assert.Equal(3, (await admin.RunAsync("queue", "routing", "no-such-queue", "manual")).ExitCode);

        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");
        Assert.Equal(4, (await alice.RunAsync("agents", "capacity", "9", "--agent", agent.Email)).ExitCode);
        Assert.Equal(4, (await alice.RunAsync("queue", "routing", queue.Slug, "manual")).ExitCode);
        Assert.Equal(2, (await service.Agents.GetQueueRoutingAsync(queue.Id, Ct)).Capacity);
    }

    private static async Task<(Guid Id, string Email)> NewUserAsync(CrmClient service, UserRole role)
    {
        var email = $"cli-{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}@it.test";
        var user = await service.Auth.Admin.CreateUserAsync(new AdminUserAttributes { Email = email, Password = "autocrm-demo", EmailConfirm = true }, Ct);
        await service.Profiles.SetRoleAsync(user.Id, role, Ct);
        return (user.Id, email);
    }
}
