using System.Text;
using System.Text.Json;
using AutoCrm.DevStack;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary><c>autocrm import FILE.csv</c> (through the database's <c>import_tickets</c>: all or nothing, every bad row with
/// its line and the database's message) and <c>autocrm export --format csv</c>, against real DevStacks.</summary>
public sealed class CsvImportExportTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string TempFile(string content, Encoding? encoding = null)
    {
        var path = Path.Combine(TestPaths.NewDirectory("csv-"), "tickets.csv");
        File.WriteAllText(path, content, encoding ?? new UTF8Encoding(false));
        return path;
    }

    /// <summary>Defines the fields a test uses (keys unique to the run, as the stack is shared).</summary>
    private static async Task<(string Plan, string Seats, string Vip, string Langs, string Due)> DefineFieldsAsync(CrmClient service, string run)
    {
        var keys = ($"p_{run}", $"s_{run}", $"v_{run}", $"l_{run}", $"d_{run}");
        await service.Fields.CreateAsync(new NewTicketField
        {
            Key = keys.Item1, Label = "Plan", Type = TicketFieldType.Dropdown, CustomerVisible = true, CustomerEditable = true,
            Options = [new TicketFieldOption { Value = "free", Label = "Free" }, new TicketFieldOption { Value = "pro", Label = "Pro" }],
        }, Ct);
        await service.Fields.CreateAsync(new NewTicketField { Key = keys.Item2, Label = "Seats", Type = TicketFieldType.Integer, CustomerVisible = true }, Ct);
        await service.Fields.CreateAsync(new NewTicketField { Key = keys.Item3, Label = "VIP", Type = TicketFieldType.Checkbox }, Ct);
        await service.Fields.CreateAsync(new NewTicketField
        {
            Key = keys.Item4, Label = "Languages", Type = TicketFieldType.Multiselect, CustomerVisible = true,
            Options = [new TicketFieldOption { Value = "en", Label = "English" }, new TicketFieldOption { Value = "fr", Label = "French" }],
        }, Ct);
        await service.Fields.CreateAsync(new NewTicketField { Key = keys.Item5, Label = "Due", Type = TicketFieldType.Date, CustomerVisible = true }, Ct);
        return keys;
    }

    private static async Task<List<Ticket>> TicketsTaggedAsync(CrmClient crm, string tag) =>
        [.. await crm.Tickets.ListAsync(new TicketQuery { TagsAll = [tag] }, Ct).ToListAsync(Ct)];

    [Fact]
    public async Task Export_to_csv_then_import_into_a_fresh_devstack_gives_the_same_tickets_and_field_values()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var tag = "rt" + run;
        using var service = stack.ServiceClient();
        var (plan, seats, vip, langs, due) = await DefineFieldsAsync(service, run);
        var people = (await service.Profiles.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).ToDictionary(p => p.Email!, p => p.Id);
        var queues = (await service.Queues.ListAsync(Ct).ToListAsync(Ct)).ToDictionary(q => q.Slug, q => q.Id);
        var subjects = new[] { "Plain subject", "He said \"hi\", then left", "Two\nlines, and a comma", " padded ", "=1+2 looks like a formula" };
        for (var i = 0; i < subjects.Length; i++)
        {
            var metadata = CrmMetadata.Parse($$"""{"channel": "csv, \"quoted\"", "n": {{i}}}""")
                .WithFieldValue(plan, TicketFieldValue.Option(i % 2 == 0 ? "pro" : "free"))
                .WithFieldValue(seats, i == 1 ? TicketFieldValue.None : TicketFieldValue.Integer(10 * i))
                .WithFieldValue(langs, TicketFieldValue.Options(i == 0 ? ["fr", "en"] : ["en"]))
                .WithFieldValue(due, TicketFieldValue.Date(new DateOnly(2027, 1, 1 + i)));
            var ticket = await service.Tickets.CreateAsync(new NewTicket
            {
                Subject = subjects[i],
                RequesterId = people[i == 2 ? "dave@customer.demo" : "carol@customer.demo"],
                QueueId = i == 3 ? null : queues[i == 1 ? "billing" : "general"],
                AssigneeId = i == 0 ? people["agent.alice@autocrm.demo"] : null,
                Status = i == 4 ? TicketStatus.Pending : TicketStatus.Open,
                Priority = TicketPriority.High,
                Tags = [tag, "second"],
                Metadata = metadata,
            }, Ct);
            if (i != 3)
            {
                await service.Fields.SetValueAsync(ticket.Id, vip, TicketFieldValue.Checkbox(i % 2 == 0), Ct);
            }
        }

        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");
        var export = (await admin.RunAsync("export", "--format", "csv", "--query", $"tag:{tag}")).Succeeded();
        var file = TempFile(export.Output);
        Assert.StartsWith($"id,number,subject,status,priority,queue,requester,assignee,tags,created_at,updated_at,metadata,", export.Output, StringComparison.Ordinal);
        Assert.Contains(vip, export.Output.Split('\n')[0], StringComparison.Ordinal);

        await using var fresh = await DevStackServer.StartAsync(new DevStackOptions { EnforceAuthRateLimits = false }, Ct);
        using var freshService = new CrmClient(new CrmClientOptions { Url = fresh.Url, ApiKey = fresh.ServiceRoleKey, SessionStore = new AutoCrm.Sdk.Auth.InMemorySessionStore() });
        // The same field definitions as the source project (the export has a column for each, other tests' included).
        foreach (var field in await service.Fields.ListAsync(includeArchived: true, Ct).ToListAsync(Ct))
        {
            await freshService.Fields.CreateAsync(new NewTicketField
            {
                Key = field.Key, Label = field.Label, Type = field.Type, Options = field.Options, Pattern = field.Pattern,
                CustomerVisible = field.CustomerVisible, CustomerEditable = field.CustomerEditable,
            }, Ct);
            if (!field.Active)
            {
                await freshService.Fields.ArchiveAsync(field.Key, Ct);
            }
        }

        var freshAdmin = new Cli(null, server: fresh);
        await freshAdmin.LoginAsync("admin@autocrm.demo");
        var imported = (await freshAdmin.RunAsync("import", file, "--json")).Succeeded().Json;
        Assert.Equal(5, imported.GetProperty("created").GetInt32());
        Assert.True(imported.GetProperty("committed").GetBoolean());

        var originals = (await TicketsTaggedAsync(service, tag)).OrderBy(t => t.Id).ToList();
        var copies = (await TicketsTaggedAsync(freshService, tag)).OrderBy(t => t.Id).ToList();
        Assert.Equal(originals.Select(t => t.Id), copies.Select(t => t.Id));
        var freshPeople = (await freshService.Profiles.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).ToDictionary(p => p.Id, p => p.Email);
        var freshQueues = (await freshService.Queues.ListAsync(Ct).ToListAsync(Ct)).ToDictionary(q => q.Id, q => q.Slug);
        var emails = people.ToDictionary(p => p.Value, p => p.Key);
        var slugs = queues.ToDictionary(q => q.Value, q => q.Key);
        foreach (var (original, copy) in originals.Zip(copies))
        {
            Assert.Equal(original.Subject, copy.Subject);
            Assert.Equal(original.Status, copy.Status);
            Assert.Equal(original.Priority, copy.Priority);
            Assert.Equal(original.Tags, copy.Tags);
            Assert.Equal(emails[original.RequesterId], freshPeople[copy.RequesterId]);
            Assert.Equal(original.AssigneeId is { } a ? emails[a] : null, copy.AssigneeId is { } b ? freshPeople[b] : null);
            Assert.Equal(original.QueueId is { } q ? slugs[q] : null, copy.QueueId is { } r ? freshQueues[r] : null);
            Assert.Equal(original.Metadata, copy.Metadata);
            Assert.Equal(await service.Fields.GetValuesAsync(original.Id, Ct), await freshService.Fields.GetValuesAsync(copy.Id, Ct));
        }

        var again = (await freshAdmin.RunAsync("import", file, "--json")).Succeeded().Json;
        Assert.Equal(0, again.GetProperty("created").GetInt32());
        Assert.Equal(5, again.GetProperty("already_present").GetInt32());
    }

    [Fact]
    public async Task Hostile_csv_imports_nothing_and_reports_every_bad_row_with_its_line_and_the_database_message()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var tag = "h" + run;
        using var service = stack.ServiceClient();
        var (plan, seats, _, langs, _) = await DefineFieldsAsync(service, run);
        var cli = stack.Cli();
        await cli.LoginAsync("agent.alice@autocrm.demo");

        // A BOM, CRLF line ends, a mixed-case header, quotes and line breaks inside cells, and bad rows of each kind.
        var csv = string.Join("\r\n",
            $"Subject,Queue,Requester,Tags,{plan.ToUpperInvariant()},{seats},{langs}",
            $"\"He said \"\"hi\"\", then left\",general,carol@customer.demo,{tag},pro,3,en;fr",
            $"\"Two lines\r\nin one cell\",general,carol@customer.demo,{tag},,,",
            $"Bad plan,general,carol@customer.demo,{tag},platinum,,",
            $"Too few cells,general",
            $"Bad seats,general,carol@customer.demo,{tag},,3.5,",
            $"\"Quote \"\"inside\"\" and, comma\",nowhere,carol@customer.demo,{tag},,,",
            $"Bad option,general,carol@customer.demo,{tag},,,en;de",
            "");
        var file = TempFile(csv, new UTF8Encoding(true));
        var result = await cli.RunAsync("import", file, "--json");
        Assert.Equal(1, result.ExitCode);
        var problems = result.Json.GetProperty("problems").EnumerateArray()
            .Select(p => (Line: p.GetProperty("line").GetInt32(), Field: p.TryGetProperty("field", out var f) ? f.GetString() : null, Message: p.GetProperty("message").GetString()))
            .ToList();
        Assert.Equal(
        [
            (5, plan, $"field \"{plan}\": \"platinum\" is not one of free, pro"),
            (6, null, "expected 7 cells as in the header, found 2"),
            (7, seats, $"field \"{seats}\": expected an integer, got 3.5"),
            (8, "queue", "field \"queue\": no queue \"nowhere\""),
            (9, langs, $"field \"{langs}\": \"de\" is not one of en, fr"),
        ], problems);
        Assert.False(result.Json.GetProperty("committed").GetBoolean());
        Assert.Empty(await TicketsTaggedAsync(service, tag));

        // The good rows alone go in, exactly as written.
        var good = string.Join("\r\n", csv.Split("\r\n")[..4].Where(l => !l.StartsWith("Bad", StringComparison.Ordinal))) + "\r\n";
        var text = await cli.RunAsync("import", TempFile(good, new UTF8Encoding(true)));
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("2 created", text.Text, StringComparison.Ordinal);
        var stored = await TicketsTaggedAsync(service, tag);
        var quoted = Assert.Single(stored, t => t.Subject == "He said \"hi\", then left");
        Assert.Equal("pro", quoted.Metadata.GetFieldValue(plan).AsText());
        Assert.Equal(3, quoted.Metadata.GetFieldValue(seats).AsInteger());
        Assert.Equal(["en", "fr"], quoted.Metadata.GetFieldValue(langs).AsOptions());
        Assert.Contains(stored, t => t.Subject == "Two lines\nin one cell");

        // A column that is neither a ticket column nor a field: reported on the header's line, before anything is written.
        var unknown = await cli.RunAsync("import", TempFile($"subject,no_such_field_{run}\nHello {tag},1\n"));
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains($":1: field \"no_such_field_{run}\": not a ticket column or a custom field", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing imported", unknown.Text, StringComparison.Ordinal);

        var unterminated = await cli.RunAsync("import", TempFile($"subject,tags\nfine,{tag}\n\"never closed,{tag}\n"), "--json");
        Assert.Equal(1, unterminated.ExitCode);
        Assert.Contains("unterminated quoted field", unterminated.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await TicketsTaggedAsync(service, tag)).Count);
    }

    [Fact]
    public async Task Several_batches_are_checked_before_any_is_written_and_only_staff_import()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var tag = "b" + run;
        using var service = stack.ServiceClient();
        var rows = Enumerable.Range(1, 450).Select(i => $"Batch row {i},general,carol@customer.demo,{tag},{(i == 449 ? "extreme" : "low")}");
        var csv = "subject,queue,requester,tags,priority\n" + string.Join('\n', rows) + "\n";
        var file = TempFile(csv);
        var alice = stack.Cli();
        await alice.LoginAsync("agent.alice@autocrm.demo");

        var refused = await alice.RunAsync("import", file, "--batch", "200", "--json");
        Assert.Equal(1, refused.ExitCode);
        var problem = Assert.Single(refused.Json.GetProperty("problems").EnumerateArray());
        Assert.Equal(450, problem.GetProperty("line").GetInt32());
        Assert.Equal("field \"priority\": \"extreme\" is not one of low, normal, high, urgent", problem.GetProperty("message").GetString());
        Assert.Empty(await TicketsTaggedAsync(service, tag));

        var fixedFile = TempFile(csv.Replace("extreme", "urgent", StringComparison.Ordinal));
        var dry = (await alice.RunAsync("import", fixedFile, "--batch", "200", "--dry-run", "--json")).Succeeded().Json;
        Assert.Equal(450, dry.GetProperty("created").GetInt32());
        Assert.Empty(await TicketsTaggedAsync(service, tag));

        // Bob works the general queue only: a customer's ticket for billing is refused by row-level security.
        var bob = stack.Cli();
        await bob.LoginAsync("agent.bob@autocrm.demo");
        var billing = await bob.RunAsync("import", TempFile($"subject,queue,requester,tags\nFor billing,billing,carol@customer.demo,{tag}\n"), "--json");
        Assert.Equal(1, billing.ExitCode);
        Assert.Contains("row-level security", billing.Output, StringComparison.Ordinal);

        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        var customer = await carol.RunAsync("import", fixedFile);
        Assert.Equal(4, customer.ExitCode);
        Assert.Contains("importing tickets needs an agent or admin", customer.Error, StringComparison.Ordinal);

        var done = (await alice.RunAsync("import", fixedFile, "--batch", "200", "--json")).Succeeded().Json;
        Assert.Equal(450, done.GetProperty("created").GetInt32());
        Assert.Equal(450, (await TicketsTaggedAsync(service, tag)).Count);
    }
}
