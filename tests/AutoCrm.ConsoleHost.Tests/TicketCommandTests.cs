using System.Text.Json;

namespace AutoCrm.ConsoleHost.Tests;

public sealed class TicketCommandTests(DevStackFixture stack)
{
    private static string Unique(string what) => $"{what} {Guid.NewGuid():N}";

    private static async Task<JsonElement> CreateAsync(Cli customer, string subject, params string[] extra) =>
        (await customer.RunAsync(["tickets", "create", "--subject", subject, "--json", .. extra])).Succeeded().Json;

    [Fact]
    public async Task Create_then_show_returns_the_ticket_with_its_conversation()
    {
        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        var subject = Unique("Printer on fire");
        var created = await CreateAsync(carol, subject, "--description", "Smoke everywhere", "--queue", "general", "--priority", "high", "--tag", "hardware");
        Assert.Equal(subject, created.GetProperty("subject").GetString());
        Assert.Equal("new", created.GetProperty("status").GetString());
        Assert.Equal("high", created.GetProperty("priority").GetString());

        var number = created.GetProperty("number").GetInt64();
        var shown = (await carol.RunAsync("tickets", "show", "#" + number, "--json")).Succeeded().Json;
        Assert.Equal(created.GetProperty("id").GetString(), shown.GetProperty("id").GetString());
        var message = Assert.Single(shown.GetProperty("conversation_history").EnumerateArray());
        Assert.Equal("Smoke everywhere", message.GetProperty("body").GetString());

        var text = (await carol.RunAsync("tickets", "show", created.GetProperty("id").GetString()!)).Succeeded().Text;
        Assert.Contains(subject, text, StringComparison.Ordinal);
        Assert.Contains("Smoke everywhere", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_applies_the_ticket_query_filters()
    {
        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        var marker = Guid.NewGuid().ToString("N");
        await CreateAsync(carol, $"Low one {marker}", "--priority", "low", "--tag", marker);
        await CreateAsync(carol, $"Urgent one {marker}", "--priority", "urgent", "--queue", "billing");

        var all = (await carol.RunAsync("tickets", "list", "--subject", marker, "--json")).Succeeded().Json;
        Assert.Equal(2, all.GetArrayLength());
        var urgent = (await carol.RunAsync("tickets", "list", "--subject", marker, "--priority", "urgent,high", "--json")).Succeeded().Json;
        Assert.Equal($"Urgent one {marker}", Assert.Single(urgent.EnumerateArray()).GetProperty("subject").GetString());
        var tagged = (await carol.RunAsync("tickets", "list", "--tag", marker, "--json")).Succeeded().Json;
        Assert.Equal($"Low one {marker}", Assert.Single(tagged.EnumerateArray()).GetProperty("subject").GetString());
        var inBilling = (await carol.RunAsync("tickets", "list", "--subject", marker, "--queue", "billing", "--status", "new", "--json")).Succeeded().Json;
        Assert.Single(inBilling.EnumerateArray());
        var closed = (await carol.RunAsync("tickets", "list", "--subject", marker, "--status", "closed", "--json")).Succeeded().Json;
        Assert.Equal(0, closed.GetArrayLength());

        var table = (await carol.RunAsync("tickets", "list", "--subject", marker, "--sort", "priority", "--desc")).Succeeded().Text;
        Assert.True(table.IndexOf("Urgent one", StringComparison.Ordinal) < table.IndexOf("Low one", StringComparison.Ordinal), table);
    }

    [Fact]
    public async Task Agents_reply_note_and_update_and_customers_never_see_internal_notes()
    {
        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");
        var id = (await CreateAsync(carol, Unique("Refund please"), "--queue", "billing")).GetProperty("id").GetString()!;

        var reply = (await alice.RunAsync("tickets", "reply", id, "Refund issued.", "--json")).Succeeded().Json;
        Assert.Equal("public", reply.GetProperty("visibility").GetString());
        var note = (await alice.RunAsync("tickets", "note", id, "Customer is a VIP.", "--json")).Succeeded().Json;
        Assert.Equal("internal", note.GetProperty("visibility").GetString());
        var updated = (await alice.RunAsync("tickets", "update", id, "--priority", "urgent", "--status", "pending", "--tag", "refund", "--json")).Succeeded().Json;
        Assert.Equal("urgent", updated.GetProperty("priority").GetString());
        Assert.Equal("pending", updated.GetProperty("status").GetString());

        var agentView = (await alice.RunAsync("tickets", "show", id, "--json")).Succeeded().Json;
        Assert.Contains(agentView.GetProperty("conversation_history").EnumerateArray(), m => m.GetProperty("body").GetString() == "Customer is a VIP.");
        Assert.Contains(agentView.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "priority_changed");
        var customerView = (await carol.RunAsync("tickets", "show", id, "--json")).Succeeded().Json;
        var bodies = customerView.GetProperty("conversation_history").EnumerateArray().Select(m => m.GetProperty("body").GetString()).ToList();
        Assert.Contains("Refund issued.", bodies);
        Assert.DoesNotContain("Customer is a VIP.", bodies);
    }

    [Fact]
    public async Task Customers_close_and_reopen_their_tickets()
    {
        var dave = stack.Cli();
        await dave.LoginAsync("dave@customer.demo");
        var id = (await CreateAsync(dave, Unique("Never mind"))).GetProperty("id").GetString()!;
        var closed = (await dave.RunAsync("tickets", "close", id, "--json")).Succeeded().Json;
        Assert.Equal("closed", closed.GetProperty("status").GetString());
        var reopened = (await dave.RunAsync("tickets", "reopen", id, "--json")).Succeeded().Json;
        Assert.Equal("open", reopened.GetProperty("status").GetString());
        var line = (await dave.RunAsync("tickets", "close", id)).Succeeded().Text;
        Assert.Contains("Closed ticket #", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_tickets_exit_3_and_bad_values_exit_2()
    {
        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");
        var missing = await alice.RunAsync("tickets", "show", Guid.NewGuid().ToString());
        Assert.Equal(3, missing.ExitCode);
        Assert.StartsWith("error: ticket", missing.Error, StringComparison.Ordinal);
        Assert.Equal(3, (await alice.RunAsync("tickets", "show", "#987654321")).ExitCode);
        Assert.Equal(2, (await alice.RunAsync("tickets", "list", "--status", "bogus")).ExitCode);
        Assert.Equal(2, (await alice.RunAsync("tickets", "show", "not-a-ticket")).ExitCode);
        Assert.Equal(2, (await alice.RunAsync("tickets", "create")).ExitCode);
        Assert.Equal(2, (await alice.RunAsync("tickets", "update", Guid.NewGuid().ToString())).ExitCode);
    }

    [Fact]
    public async Task A_stale_version_exits_5_conflict()
    {
        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");
        var ticket = await CreateAsync(carol, Unique("Race"), "--queue", "general");
        var id = ticket.GetProperty("id").GetString()!;
        var version = ticket.GetProperty("version").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
        (await alice.RunAsync("tickets", "update", id, "--priority", "high", "--if-version", version)).Succeeded();
        var stale = await alice.RunAsync("tickets", "update", id, "--priority", "low", "--if-version", version);
        Assert.Equal(5, stale.ExitCode);
    }

    [Fact]
    public async Task Customers_cannot_write_internal_notes()
    {
        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        var id = (await CreateAsync(carol, Unique("Sneaky"))).GetProperty("id").GetString()!;
        var note = await carol.RunAsync("tickets", "note", id, "psst");
        Assert.Equal(4, note.ExitCode);
        Assert.StartsWith("error: ", note.Error, StringComparison.Ordinal);
    }
}
