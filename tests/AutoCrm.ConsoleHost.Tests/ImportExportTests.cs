using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Tickets;
using Npgsql;

namespace AutoCrm.ConsoleHost.Tests;

public sealed class ImportExportTests(DevStackFixture stack)
{
    /// <summary>A <c>postgresql://user:password@host:port/database</c> URL as an Npgsql connection string.</summary>
    private static string ConnectionString(string url)
    {
        var uri = new Uri(url);
        var credentials = uri.UserInfo.Split(':');
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port,
            Username = Uri.UnescapeDataString(credentials[0]),
            Password = Uri.UnescapeDataString(credentials[1]),
            Database = uri.AbsolutePath.TrimStart('/'),
            Pooling = false,
        }.ConnectionString;
    }

    private static string TempFile(string extension, string content)
    {
        var path = Path.Combine(TestPaths.NewDirectory("import-"), "tickets" + extension);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Jsonl_import_as_a_signed_in_agent_writes_tickets_and_conversation()
    {
        var run = Guid.NewGuid().ToString("N");
        var jsonl = string.Join('\n',
            JsonSerializer.Serialize(new { source_key = run + "-a", subject = "From JSON " + run, queue = "general", requester = "carol@customer.demo", description = "First message" }),
            "{not json",
            JsonSerializer.Serialize(new { subject = "No key " + run }),
            "");
        var cli = stack.Cli();
        await cli.LoginAsync("agent.alice@autocrm.demo");
        var result = await cli.RunAsync("import", TempFile(".jsonl", jsonl), "--json");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(1, result.Json.GetProperty("created").GetInt32());
        Assert.Equal([2, 3], result.Json.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("line").GetInt32()).ToList());

        var list = (await cli.RunAsync("tickets", "list", "--subject", run, "--json")).Succeeded().Json;
        var id = Assert.Single(list.EnumerateArray()).GetProperty("id").GetString()!;
        var shown = (await cli.RunAsync("tickets", "show", id, "--json")).Succeeded().Json;
        Assert.Equal("First message", Assert.Single(shown.GetProperty("conversation_history").EnumerateArray()).GetProperty("body").GetString());
    }

    [Fact]
    public async Task Export_then_import_restores_deleted_tickets_with_their_conversation()
    {
        var ct = TestContext.Current.CancellationToken;
        using var service = stack.ServiceClient();
        var carol = (await service.Profiles.ListAsync(cancellationToken: ct).ToListAsync(ct)).Single(p => p.Email == "carol@customer.demo");
        var run = Guid.NewGuid().ToString("N");
        var originals = new List<Ticket>();
        for (var i = 0; i < 2; i++)
        {
            var t = await service.Tickets.CreateAsync(new NewTicket { Subject = $"Round trip {i} {run}", RequesterId = carol.Id, Tags = ["rt"], Priority = TicketPriority.High, Metadata = AutoCrm.Sdk.CrmMetadata.From(new JsonObject { ["i"] = i }) }, ct);
            originals.Add(await service.Tickets.GetAsync(t.Id, TicketInclude.None, ct));
        }

        var cli = stack.Cli();
        await cli.LoginAsync("carol@customer.demo");
        var carolTicket = originals[0].Id.ToString();
        (await cli.RunAsync("tickets", "reply", carolTicket, "Any news?")).Succeeded();

        var exportFile = Path.Combine(TestPaths.NewDirectory("export-"), "export.jsonl");
        (await cli.RunAsServiceAsync("export", "--output", exportFile)).Succeeded();
        var lines = await File.ReadAllLinesAsync(exportFile, ct);
        Assert.True(JsonNode.Parse(lines[^1])!.AsObject().ContainsKey("cursor"));
        Assert.Equal(2, lines.Count(l => l.Contains(run, StringComparison.Ordinal)));

        foreach (var t in originals)
        {
            await service.Tickets.DeleteAsync(t.Id, ct);
        }

        var imported = (await cli.RunAsServiceAsync("import", exportFile, "--json")).Succeeded().Json;
        Assert.True(imported.GetProperty("created").GetInt32() >= 2);

        foreach (var original in originals)
        {
            var restored = await service.Tickets.GetAsync(original.Id, TicketInclude.Conversation, ct);
            Assert.Equal(original.Subject, restored.Subject);
            Assert.Equal(original.Priority, restored.Priority);
            Assert.Equal(original.Tags, restored.Tags);
            Assert.Equal(original.RequesterId, restored.RequesterId);
            Assert.Equal(original.CreatedAt, restored.CreatedAt);
            Assert.Equal(original.Metadata, restored.Metadata);
        }

        var conversation = await service.Tickets.ListMessagesAsync(originals[0].Id, ct).ToListAsync(ct);
        Assert.Equal("Any news?", Assert.Single(conversation).Body);

        var second = (await cli.RunAsServiceAsync("import", exportFile, "--json")).Succeeded().Json;
        Assert.Equal(0, second.GetProperty("created").GetInt32());
    }

    [Fact]
    public async Task Export_since_a_cursor_returns_only_later_changes()
    {
        var cli = stack.Cli();
        await cli.LoginAsync("erin@customer.demo");
        var run = Guid.NewGuid().ToString("N");
        var before = (await cli.RunAsync("tickets", "create", "--subject", "Before " + run, "--json")).Succeeded().Json.GetProperty("id").GetString()!;
        var first = (await cli.RunAsync("export")).Succeeded().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(first, l => l.Contains(before, StringComparison.Ordinal));
        var cursor = JsonNode.Parse(first[^1])!["cursor"]!.GetValue<string>();

        var after = (await cli.RunAsync("tickets", "create", "--subject", "After " + run, "--json")).Succeeded().Json.GetProperty("id").GetString()!;
        var next = (await cli.RunAsync("export", "--since", cursor)).Succeeded().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(next, l => l.Contains(after, StringComparison.Ordinal));
        Assert.DoesNotContain(next, l => l.Contains(before, StringComparison.Ordinal));
        Assert.True(JsonNode.Parse(next[^1])!.AsObject().ContainsKey("cursor"));

        Assert.Equal(2, (await cli.RunAsync("export", "--since", "garbage")).ExitCode);
    }

    [Fact]
    public async Task A_change_that_commits_after_a_later_one_was_exported_is_still_exported_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var cli = stack.Cli();
        await cli.LoginAsync("erin@customer.demo");
        var run = Guid.NewGuid().ToString("N");
        var slow = (await cli.RunAsync("tickets", "create", "--subject", "Slow " + run, "--json")).Succeeded().Json.GetProperty("id").GetString()!;

        // A transaction stamps updated_at when it starts; it commits only after another change was made and exported.
        await using var connection = new NpgsqlConnection(ConnectionString(stack.Server.DatabaseUrl));
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var update = new NpgsqlCommand("update public.tickets set priority = 'urgent' where id = @id", connection, transaction))
        {
            update.Parameters.AddWithValue("id", Guid.Parse(slow));
            Assert.Equal(1, await update.ExecuteNonQueryAsync(ct));
        }

        var fast = (await cli.RunAsync("tickets", "create", "--subject", "Fast " + run, "--json")).Succeeded().Json.GetProperty("id").GetString()!;
        var first = (await cli.RunAsync("export")).Succeeded().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(first, l => l.Contains(fast, StringComparison.Ordinal));
        var cursor = JsonNode.Parse(first[^1])!["cursor"]!.GetValue<string>();
        await transaction.CommitAsync(ct);

        var next = (await cli.RunAsync("export", "--since", cursor)).Succeeded().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var late = Assert.Single(next, l => l.Contains(slow, StringComparison.Ordinal));
        Assert.Equal("urgent", JsonNode.Parse(late)!["priority"]!.GetValue<string>());
        Assert.DoesNotContain(next, l => l.Contains(fast, StringComparison.Ordinal));

        // Nothing changed since: the overlap is read again but nothing already written comes back.
        var cursor2 = JsonNode.Parse(next[^1])!["cursor"]!.GetValue<string>();
        var third = (await cli.RunAsync("export", "--since", cursor2)).Succeeded().Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(third, l => l.Contains(run, StringComparison.Ordinal));
    }
}
