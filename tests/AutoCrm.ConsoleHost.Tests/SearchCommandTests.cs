using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary><c>autocrm search</c>, <c>views</c> and <c>fields</c> against a real DevStack.</summary>
public sealed class SearchCommandTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Search_finds_ranked_hits_and_points_at_the_token_it_cannot_read()
    {
        using var service = stack.ServiceClient();
        var word = "zq" + Guid.NewGuid().ToString("N")[..10];
        var general = await service.Queues.GetBySlugAsync("general", Ct);
        var carol = (await service.Profiles.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).Single(p => p.Email == "carol@customer.demo");
        var ticket = await service.Tickets.CreateAsync(new NewTicket { Subject = $"Projector {word} flickers", QueueId = general.Id, RequesterId = carol.Id }, Ct);

        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");
        var hit = Assert.Single((await alice.RunAsync("search", $"status:new {word}", "--json")).Succeeded().Json.EnumerateArray());
        Assert.Equal(ticket.Number, hit.GetProperty("number").GetInt64());
        Assert.Contains(word, hit.GetProperty("snippet").GetString(), StringComparison.Ordinal);
        Assert.Contains("Projector", (await alice.RunAsync("search", word)).Succeeded().Text, StringComparison.Ordinal);

        var bad = await alice.RunAsync("search", $"stauts:new {word}");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("stauts", bad.Error, StringComparison.Ordinal);
        Assert.Contains("^^^^^^^^^^", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Views_are_saved_listed_and_removed()
    {
        var name = "Billing " + Guid.NewGuid().ToString("N")[..8];
        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");

        var saved = (await alice.RunAsync("views", "save", name, "status:open tag:billing", "--json")).Succeeded().Json;
        Assert.Equal("status:open tag:billing", saved.GetProperty("query").GetString());
        Assert.Contains((await alice.RunAsync("views", "list", "--json")).Succeeded().Json.EnumerateArray(), v => v.GetProperty("name").GetString() == name);
        Assert.Equal(2, (await alice.RunAsync("views", "add", "Typo", "stauts:open")).ExitCode);

        (await alice.RunAsync("views", "rm", saved.GetProperty("id").GetString()!)).Succeeded();
        Assert.DoesNotContain((await alice.RunAsync("views", "list", "--json")).Succeeded().Json.EnumerateArray(), v => v.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task Admins_define_and_archive_fields_and_agents_may_only_list_them()
    {
        var key = "cli_" + Guid.NewGuid().ToString("N")[..8];
        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");
        var field = (await admin.RunAsync("fields", "add", key, "Tier", "--type", "dropdown", "--option", "gold", "--option", "silver=Silver tier", "--json")).Succeeded().Json;
        Assert.Equal("dropdown", field.GetProperty("type").GetString());
        Assert.Equal("Silver tier", field.GetProperty("options")[1].GetProperty("label").GetString());
        Assert.Equal(2, (await admin.RunAsync("fields", "add", "cli_bad", "Bad", "--type", "colour")).ExitCode);

        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");
        Assert.Contains((await alice.RunAsync("fields", "list", "--json")).Succeeded().Json.EnumerateArray(), f => f.GetProperty("key").GetString() == key);
        Assert.Equal(4, (await alice.RunAsync("fields", "add", key + "x", "Nope")).ExitCode);

        (await admin.RunAsync("fields", "archive", key)).Succeeded();
        Assert.DoesNotContain((await alice.RunAsync("fields", "list", "--json")).Succeeded().Json.EnumerateArray(), f => f.GetProperty("key").GetString() == key);
        Assert.Contains((await alice.RunAsync("fields", "list", "--archived", "--json")).Succeeded().Json.EnumerateArray(), f => f.GetProperty("key").GetString() == key);
    }
}
