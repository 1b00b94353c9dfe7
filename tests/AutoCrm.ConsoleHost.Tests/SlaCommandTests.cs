using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Sla;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary><c>autocrm sla</c> and the breaches of <c>autocrm watch</c> against a real DevStack. Every policy here matches
/// only a tag of its own, so the other tests' tickets (same DevStack, in parallel) get no clocks from it.</summary>
public sealed class SlaCommandTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Admin_adds_a_policy_with_targets_per_priority_and_a_calendar_and_bad_input_gets_typed_errors()
    {
        var word = "sq" + Guid.NewGuid().ToString("N")[..10];
        using var service = stack.ServiceClient();
        var calendar = await service.Sla.CreateCalendarAsync(new NewBusinessCalendar
        {
            Name = "Office " + word,
            TimeZone = "Europe/Berlin",
            Intervals = [new BusinessInterval { Day = BusinessDay.Monday, Start = "09:00", End = "17:00" }],
        }, Ct);
        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");
        try
        {
            var policy = (await admin.RunAsync(
                "sla", "add", "Gold " + word, "--target", "urgent.first_reply=30", "--target", "urgent.resolution=4h", "--target", "normal.first_reply=2h",
                "--target", "low.resolution=2d", "--calendar", "office " + word, "--when", $"tags contains {word}", "--position", "5", "--json"))
                .Succeeded().Json;
            Assert.Equal(calendar.Id.ToString(), policy.GetProperty("business_hours_id").GetString());
            Assert.Equal(5, policy.GetProperty("position").GetInt32());
            var targets = policy.GetProperty("targets");
            Assert.Equal(30, targets.GetProperty("urgent").GetProperty("first_reply").GetInt32());
            Assert.Equal(240, targets.GetProperty("urgent").GetProperty("resolution").GetInt32());
            Assert.Equal(120, targets.GetProperty("normal").GetProperty("first_reply").GetInt32());
            Assert.Equal(2880, targets.GetProperty("low").GetProperty("resolution").GetInt32());
            Assert.False(targets.TryGetProperty("high", out _));

            // Listed with its targets and calendar, as a table and as JSON.
            var listing = (await admin.RunAsync("sla", "list", "--json")).Succeeded().Json;
            Assert.Contains(listing.GetProperty("policies").EnumerateArray(), p => p.GetProperty("name").GetString() == "Gold " + word);
            Assert.Contains(listing.GetProperty("calendars").EnumerateArray(), c => c.GetProperty("name").GetString() == "Office " + word);
            var table = (await admin.RunAsync("sla", "list")).Succeeded().Text;
            Assert.Contains("urgent: first_reply 30m, resolution 4h", table, StringComparison.Ordinal);
            Assert.Contains("Office " + word, table, StringComparison.Ordinal);

            // Malformed on the command line (exit 2), refused by the database with its message (exit 1), an unknown
            // calendar (exit 3); nothing of them is saved.
            foreach (var target in new[] { "urgent.first_reply", "urgent=30", "asap.first_reply=30", "urgent.first_response=30", "urgent.first_reply=30s", "urgent.first_reply=99999999999d" })
            {
                var usage = await admin.RunAsync("sla", "add", "Bad " + word, "--target", target, "--when", $"tags contains {word}");
                Assert.True(usage.ExitCode == 2, $"{target}: exit {usage.ExitCode}, {usage.Error}");
                Assert.Contains("--target", usage.Error, StringComparison.Ordinal);
            }

            Assert.Equal(2, (await admin.RunAsync("sla", "add", "Bad " + word, "--when", $"tags contains {word}")).ExitCode);
            Assert.Equal(2, (await admin.RunAsync("sla", "add", "Bad " + word, "--target", "urgent.first_reply=30", "--target", "urgent.first_reply=60")).ExitCode);
            var refused = await admin.RunAsync("sla", "add", "Bad " + word, "--target", "urgent.first_reply=0", "--when", $"tags contains {word}");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("field \"targets\": urgent.first_reply", refused.Error, StringComparison.Ordinal);
            var tooLong = await admin.RunAsync("sla", "add", "Bad " + word, "--target", "normal.resolution=400d", "--when", $"tags contains {word}");
            Assert.Equal(1, tooLong.ExitCode);
            Assert.Equal(1, (await admin.RunAsync("sla", "add", "Bad " + word, "--target", "urgent.first_reply=30", "--when", "message.body contains x")).ExitCode);
            Assert.Equal(3, (await admin.RunAsync("sla", "add", "Bad " + word, "--target", "urgent.first_reply=30", "--calendar", "Nowhere " + word)).ExitCode);
            Assert.DoesNotContain((await service.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct)), p => p.Name == "Bad " + word);

            // Agents read policies but may not add them; customers see none.
            var alice = stack.Cli();
            await alice.LoginAsync("agent.alice@autocrm.demo");
            Assert.Contains("Gold " + word, (await alice.RunAsync("sla", "list")).Succeeded().Text, StringComparison.Ordinal);
            Assert.Equal(4, (await alice.RunAsync("sla", "add", "Nope " + word, "--target", "urgent.first_reply=30", "--when", $"tags contains {word}")).ExitCode);
            var carol = stack.Cli();
            await carol.LoginAsync("carol@customer.demo");
            var none = (await carol.RunAsync("sla", "list", "--json")).Succeeded().Json;
            Assert.Equal(0, none.GetProperty("policies").GetArrayLength());
            Assert.Equal(0, none.GetProperty("calendars").GetArrayLength());

            // Removing: agents may not (row-level security lets only admins delete, so for an agent there is nothing to
            // delete: exit 3, and the policy stays), an unknown name is exit 3, then the admin removes it by name
            // (ignoring case) and a second one by id.
            var agentRemove = await alice.RunAsync("sla", "rm", "Gold " + word);
            Assert.True(agentRemove.ExitCode == 3, $"agent rm: exit {agentRemove.ExitCode}, {agentRemove.Error}");
            Assert.Contains((await service.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct)), p => p.Name == "Gold " + word);
            var unknown = await admin.RunAsync("sla", "rm", "Nowhere " + word);
            Assert.Equal(3, unknown.ExitCode);
            Assert.Contains("no SLA policy", unknown.Error, StringComparison.Ordinal);
            var removed = (await admin.RunAsync("sla", "rm", "GOLD " + word)).Succeeded().Output;
            Assert.Contains($"Deleted SLA policy \"Gold {word}\"", removed, StringComparison.Ordinal);
            var silver = (await admin.RunAsync("sla", "add", "Silver " + word, "--target", "low.first_reply=1d", "--when", $"tags contains {word}", "--json"))
                .Succeeded().Json.GetProperty("id").GetString()!;
            (await admin.RunAsync("sla", "rm", silver)).Succeeded();

            // Names need not be unique: a shared one is a usage error asking for the id, and removes nothing.
            foreach (var position in new[] { "7", "8" })
            {
                (await admin.RunAsync("sla", "add", "Twin " + word, "--target", "low.first_reply=1d", "--when", $"tags contains {word}", "--position", position)).Succeeded();
            }

            var twins = await admin.RunAsync("sla", "rm", "Twin " + word);
            Assert.Equal(2, twins.ExitCode);
            Assert.Contains("give the id", twins.Error, StringComparison.Ordinal);
            Assert.Equal(2, (await service.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct)).Count(p => p.Name == "Twin " + word));
            foreach (var twin in (await service.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct)).Where(p => p.Name == "Twin " + word))
            {
                (await admin.RunAsync("sla", "rm", twin.Id.ToString())).Succeeded();
            }

            Assert.DoesNotContain((await service.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct)), p => p.Name.EndsWith(word, StringComparison.Ordinal));
        }
        finally
        {
            foreach (var p in (await service.Sla.ListPoliciesAsync(Ct).ToListAsync(Ct)).Where(p => p.Name.EndsWith(word, StringComparison.Ordinal)))
            {
                await service.Sla.DeletePolicyAsync(p.Id, Ct);
            }

            await service.Sla.DeleteCalendarAsync(calendar.Id, Ct);
        }
    }

    [Fact]
    public async Task Watch_prints_an_SLA_breach_live_when_the_scheduler_records_it()
    {
        var word = "sw" + Guid.NewGuid().ToString("N")[..10];
        using var service = stack.ServiceClient();
        var queue = await service.Queues.CreateAsync(new NewQueue { Slug = "sla-" + word, Name = "SLA watch " + word }, Ct);
        var policy = await service.Sla.CreatePolicyAsync(new NewSlaPolicy
        {
            Name = "Watch " + word,
            Position = -1000,
            Conditions = TicketConditions.AllOf(ConditionField.Tags.Contains(word)),
            Targets = new Dictionary<string, SlaTargets> { ["normal"] = new() { FirstReply = 60 } },
        }, Ct);
        try
        {
            var carol = (await service.Profiles.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).Single(p => p.Email == "carol@customer.demo");
            var ticket = await service.Tickets.CreateAsync(new NewTicket { Subject = "Breach me " + word, QueueId = queue.Id, RequesterId = carol.Id, Tags = [word] }, Ct);
            var due = (await service.Sla.ListClocksAsync(ticket.Id, Ct).ToListAsync(Ct)).Single(c => c.Metric == "first_reply").DueAt!.Value;

            var cli = stack.Cli();
            await cli.LoginAsync("admin@autocrm.demo");
            var output = new SignalWriter();
            var text = new SignalWriter();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var watching = cli.RunAsync(output, text, stop.Token, "watch", "--queue", queue.Slug, "--json");
            await text.WaitForAsync(t => t.Contains("Watching", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

            // The scheduler runs at the due time (an explicit now): the breach is recorded and shown.
            await service.Rest.Rpc("run_due_automations", new JsonObject { ["now"] = due.ToString("O", CultureInfo.InvariantCulture) }).ToJsonAsync(Ct);
            var id = ticket.Id.ToString();
            try
            {
                await output.WaitForAsync(o => o.Split('\n').Any(l => l.Contains(id, StringComparison.Ordinal) && l.Contains("sla:breached", StringComparison.Ordinal)), TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                Assert.Fail("the breach did not arrive; output so far:\n" + output + "\n" + text);
            }

            await stop.CancelAsync();
            Assert.Equal(0, (await watching).ExitCode);
            var line = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
                .Single(l => l.GetProperty("stream").GetString() == "sla:breached");
            Assert.Equal(id, line.GetProperty("ticket_id").GetString());
            Assert.Equal("first_reply breached", line.GetProperty("change").GetString());
            Assert.Equal(due, line.GetProperty("due_at").GetDateTimeOffset());
        }
        finally
        {
            await service.Sla.DeletePolicyAsync(policy.Id, Ct);
        }
    }
}
