using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary><c>autocrm rules</c> and <c>autocrm macros</c> against a real DevStack. Every rule here matches only a word of
/// its own, so the other tests' tickets (same DevStack, in parallel) are never touched by it.</summary>
public sealed class AutomationCommandTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Admin_adds_tests_disables_and_enables_a_rule_and_bad_rules_get_typed_errors()
    {
        var word = "zq" + Guid.NewGuid().ToString("N")[..10];
        var name = "Route " + word;
        using var service = stack.ServiceClient();
        var billing = await service.Queues.GetBySlugAsync("billing", Ct);
        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");
        try
        {
            var rule = (await admin.RunAsync(
                "rules", "add", name, "--when", $"subject contains {word}", "--do", "set_queue billing", "--do", "set_priority high", "--do", "add_tags refund", "--json"))
                .Succeeded().Json;
            Assert.Equal(billing.Id.ToString(), rule.GetProperty("actions")[0].GetProperty("value").GetString());
            Assert.True(rule.GetProperty("active").GetBoolean());

            // Refused by the database, with its message naming the bad part (exit 1); malformed on the command line (exit 2);
            // a queue that does not exist (exit 3).
            var refused = await admin.RunAsync("rules", "add", "Bad " + word, "--when", "status is shipped", "--do", "add_tags x");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("field \"conditions\": all[0]", refused.Error, StringComparison.Ordinal);
            Assert.Equal(2, (await admin.RunAsync("rules", "add", "Bad " + word, "--when", "subject", "--do", "add_tags x")).ExitCode);
            Assert.Equal(2, (await admin.RunAsync("rules", "add", "Bad " + word, "--do", "explode now")).ExitCode);
            Assert.Equal(2, (await admin.RunAsync("rules", "add", "Bad " + word, "--when", "subject frobnicates x", "--do", "add_tags x")).ExitCode);
            Assert.Equal(3, (await admin.RunAsync("rules", "add", "Bad " + word, "--do", "set_queue nowhere")).ExitCode);
            Assert.DoesNotContain((await admin.RunAsync("rules", "list", "--json")).Succeeded().Json.EnumerateArray(), r => r.GetProperty("name").GetString() == "Bad " + word);

            // A customer's ticket is routed by the rule.
            var carol = stack.Cli();
            await carol.LoginAsync("carol@customer.demo");
            var created = (await carol.RunAsync("tickets", "create", "--subject", $"Please refund {word}", "--json")).Succeeded().Json;
            var number = created.GetProperty("number").GetInt64();
            var routed = await service.Tickets.GetByNumberAsync(number, cancellationToken: Ct);
            Assert.Equal(billing.Id, routed.QueueId);
            Assert.Equal(TicketPriority.High, routed.Priority);
            Assert.Contains("refund", routed.Tags);

            // The dry run on that ticket and on the last tickets.
            var one = Assert.Single((await admin.RunAsync("rules", "test", name, "--ticket", $"#{number}", "--json")).Succeeded().Json.EnumerateArray());
            Assert.Equal(name, Assert.Single(one.GetProperty("fired").EnumerateArray()).GetProperty("rule_name").GetString());
            var recent = (await admin.RunAsync("rules", "test", name, "--last", "20", "--json")).Succeeded().Json.EnumerateArray().ToList();
            Assert.Contains(recent, l => l.GetProperty("number").GetInt64() == number && l.GetProperty("fired").GetArrayLength() == 1);
            Assert.Contains("would match", (await admin.RunAsync("rules", "test", name, "--last", "3")).Succeeded().Output, StringComparison.Ordinal);
            Assert.Equal(2, (await admin.RunAsync("rules", "test", name, "--last", "0")).ExitCode);
            Assert.Equal(3, (await admin.RunAsync("rules", "test", "No such rule " + word, "--last", "1")).ExitCode);

            // Disabled, it is listed but no longer runs; enabled, it runs again.
            (await admin.RunAsync("rules", "disable", name)).Succeeded();
            var listed = (await admin.RunAsync("rules", "list", "--json")).Succeeded().Json.EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);
            Assert.False(listed.GetProperty("active").GetBoolean());
            var untouched = (await carol.RunAsync("tickets", "create", "--subject", $"Another refund {word}", "--json")).Succeeded().Json;
            Assert.DoesNotContain("refund", (await service.Tickets.GetByNumberAsync(untouched.GetProperty("number").GetInt64(), cancellationToken: Ct)).Tags);
            (await admin.RunAsync("rules", "enable", name)).Succeeded();
            Assert.Contains(name, (await admin.RunAsync("rules", "list")).Succeeded().Text, StringComparison.Ordinal);

            // Agents see no rules and may not add or test them.
            var alice = stack.Cli();
            await alice.LoginAsync("agent.alice@autocrm.demo");
            Assert.Contains("No rules", (await alice.RunAsync("rules", "list")).Succeeded().Output, StringComparison.Ordinal);
            Assert.Equal(4, (await alice.RunAsync("rules", "add", "Nope " + word, "--do", "add_tags x")).ExitCode);
            Assert.Equal(4, (await alice.RunAsync("rules", "test", "--ticket", $"#{number}")).ExitCode);
        }
        finally
        {
            foreach (var r in await service.Automations.ListAsync(Ct).ToListAsync(Ct))
            {
                if (r.Name.EndsWith(word, StringComparison.Ordinal))
                {
                    await service.Automations.DeleteAsync(r.Id, Ct);
                }
            }
        }
    }

    [Fact]
    public async Task Agents_list_and_apply_macros_with_their_own_permissions()
    {
        var word = "zq" + Guid.NewGuid().ToString("N")[..10];
        using var service = stack.ServiceClient();
        using var adminSdk = new CrmClient(new CrmClientOptions { Url = stack.Server.Url, ApiKey = stack.Server.AnonKey, SessionStore = new InMemorySessionStore() });
        await adminSdk.Auth.SignInWithPasswordAsync("admin@autocrm.demo", "autocrm-demo", Ct);
        var general = await service.Queues.GetBySlugAsync("general", Ct);
        var billing = await service.Queues.GetBySlugAsync("billing", Ct);
        var pending = await adminSdk.Macros.CreateAsync(
            new NewMacro { Name = "Refund received " + word, Shared = true, Actions = [TicketAction.SetStatus(TicketStatus.Pending)], Reply = "Hi {{requester.name}}, #{{ticket.number}} is being refunded." }, Ct);
        var toBilling = await adminSdk.Macros.CreateAsync(
            new NewMacro { Name = "To billing " + word, Shared = true, Actions = [TicketAction.SetQueue(billing.Id), TicketAction.SetPriority(TicketPriority.Urgent)] }, Ct);
        try
        {
            var carolId = (await service.Profiles.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).Single(p => p.Email == "carol@customer.demo").Id;
            var ticket = await service.Tickets.CreateAsync(new NewTicket { Subject = "Macro " + word, QueueId = general.Id, RequesterId = carolId }, Ct);

            var bob = stack.Cli();
            await bob.LoginAsync("agent.bob@autocrm.demo");
            var names = (await bob.RunAsync("macros", "list", "--json")).Succeeded().Json.EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
            Assert.Contains(pending.Name, names);
            Assert.Contains(toBilling.Name, names);

            var applied = (await bob.RunAsync("macros", "apply", pending.Name, $"#{ticket.Number}")).Succeeded();
            Assert.Contains("pending", applied.Output, StringComparison.Ordinal);
            var conversation = await service.Tickets.ListMessagesAsync(ticket.Id, cancellationToken: Ct).ToListAsync(Ct);
            Assert.Contains(conversation, m => m.Body == $"Hi Carol Customer, #{ticket.Number} is being refunded." || m.Body.EndsWith($"#{ticket.Number} is being refunded.", StringComparison.Ordinal));

            // Bob works general only: moving the ticket to billing is refused (exit 4) and nothing of the macro is applied.
            var refused = await bob.RunAsync("macros", "apply", toBilling.Id.ToString(), ticket.Number.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(4, refused.ExitCode);
            Assert.Contains("not a member of that queue", refused.Error, StringComparison.Ordinal);
            var after = await service.Tickets.GetAsync(ticket.Id, cancellationToken: Ct);
            Assert.Equal(general.Id, after.QueueId);
            Assert.NotEqual(TicketPriority.Urgent, after.Priority);

            // Customers see no macros; an unknown macro is "not found".
            var carol = stack.Cli();
            await carol.LoginAsync("carol@customer.demo");
            Assert.Equal(3, (await carol.RunAsync("macros", "apply", pending.Name, $"#{ticket.Number}")).ExitCode);
            Assert.Equal(3, (await bob.RunAsync("macros", "apply", "No such macro " + word, $"#{ticket.Number}")).ExitCode);
        }
        finally
        {
            await adminSdk.Macros.DeleteAsync(pending.Id, Ct);
            await adminSdk.Macros.DeleteAsync(toBilling.Id, Ct);
        }
    }
}
