using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.ConsoleHost.Transfer;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Tickets;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class ImportSettings : ReadSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("A .csv file (header row: ticket columns and custom field keys) or a .jsonl file (one ticket object per line, e.g. from `autocrm export`).")]
    public string File { get; init; } = "";

    [CommandOption("--format <FORMAT>")]
    [Description("csv or jsonl (default: from the file extension).")]
    public string? Format { get; init; }

    [CommandOption("--batch <N>")]
    [Description("CSV: rows per call of import_tickets (default 200). JSON Lines: tickets per round (one existence check and one conversation insert; default 50).")]
    public int? Batch { get; init; }

    [CommandOption("--dry-run")]
    [Description("CSV: check every row with the database's rules and report, writing nothing.")]
    public bool DryRun { get; init; }

    public override ValidationResult Validate() =>
        Batch is < 1 or > 1000 ? ValidationResult.Error("--batch must be between 1 and 1000") : ValidationResult.Success();
}

/// <summary><c>autocrm import</c>. CSV goes through the database's <c>import_tickets</c> (see <see cref="CsvTicketImport"/>): all
/// or nothing, every bad row reported with its line. JSON Lines (the export's format, with conversations) creates tickets
/// through the SDK (<c>crm.Tickets.CreateAsync</c>) with ids derived from each row's source key, and their conversation with
/// ignore-duplicates, so re-running the same file creates nothing new; its bad rows are reported and skipped. Exit 0 when
/// every row is in, 1 when some were bad.</summary>
internal sealed class ImportCommand(CliEnvironment environment) : CrmCommand<ImportSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ImportSettings s, CancellationToken cancellationToken)
    {
        if (!System.IO.File.Exists(s.File))
        {
            throw new UsageException($"file not found: {s.File}");
        }

        var crm = target.Client;
        var session = await crm.Auth.GetSessionAsync(cancellationToken).ConfigureAwait(false);
        var asService = session is null && target.IsServiceKey;
        if (session is null && !asService)
        {
            throw new CrmAuthException("import needs a signed-in agent or admin (`autocrm login`) or the service_role key (--key)");
        }

        if (Format(s) == "csv")
        {
            return await ImportCsvAsync(crm, s, cancellationToken).ConfigureAwait(false);
        }

        if (s.DryRun)
        {
            throw new UsageException("--dry-run is for CSV files");
        }

        var me = session?.User?.Id ?? (session is null ? null : (await crm.Auth.GetUserAsync(cancellationToken).ConfigureAwait(false)).Id);
        var bad = new List<ImportProblem>();
        var records = await ReadAsync(s, bad, cancellationToken).ConfigureAwait(false);
        var unreadable = bad.Count;

        var queues = (await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false))
            .SelectMany(q => new[] { (Key: q.Slug, q.Id), (Key: q.Id.ToString(), q.Id) })
            .ToDictionary(x => x.Key, x => x.Id, StringComparer.OrdinalIgnoreCase);
        var users = new Dictionary<string, Guid>(StringComparer.OrdinalIgnoreCase);
        // Only the emails the file names, a chunk at a time: never every profile (the API returns at most its row limit).
        var emails = records.Select(r => r.Requester).OfType<string>().Where(r => !Guid.TryParse(r, out _)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var chunk in emails.Chunk(200))
        {
            var found = await crm.Rest.From("profiles").Select("id,email").In("email", chunk.Select(e => e.ToLowerInvariant())).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in found.EnumerateArray())
            {
                if (row.GetProperty("email").GetString() is { } email)
                {
                    users[email] = row.GetProperty("id").GetGuid();
                }
            }
        }

        var rows = new List<(TicketRecord Record, NewTicket Ticket, JsonArray Messages)>();
        foreach (var record in records)
        {
            try
            {
                rows.Add(BuildRows(record, queues, users, asService, me));
            }
            catch (FormatException ex)
            {
                bad.Add(new ImportProblem(record.Line, ex.Message));
            }
        }

        var created = 0;
        var present = 0;
        var messages = 0;
        async Task RunBatchesAsync(Action<int>? advance)
        {
            foreach (var batch in rows.Chunk(s.Batch ?? 50))
            {
                var (c, p, m) = await ImportBatchAsync(crm, batch, bad, cancellationToken).ConfigureAwait(false);
                created += c;
                present += p;
                messages += m;
                advance?.Invoke(batch.Length);
            }
        }

        if (Environment.IsTerminal && !s.Json && rows.Count > 0)
        {
            await Console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask($"Importing {rows.Count} tickets", maxValue: rows.Count);
                    await RunBatchesAsync(n => task.Increment(n)).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        else
        {
            await RunBatchesAsync(null).ConfigureAwait(false);
        }

        bad.Sort((a, b) => a.Line.CompareTo(b.Line));
        var summary = new ImportSummary(records.Count + unreadable, created, present, messages, bad.Count, bad);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, summary);
        }
        else
        {
            foreach (var problem in bad)
            {
                Environment.Error.WriteLine($"{s.File}:{problem.Line}: skipped: {problem.Message}");
            }

            Console.MarkupLineInterpolated($"Imported {s.File}: [green]{created} created[/], {present} already present, {messages} messages written, [{(bad.Count > 0 ? "red" : "grey")}]{bad.Count} bad rows skipped[/].");
        }

        return bad.Count == 0 ? ExitCodes.Success : ExitCodes.Error;
    }

    private static string Format(ImportSettings s) =>
        (s.Format ?? Path.GetExtension(s.File).TrimStart('.')).ToLowerInvariant() switch
        {
            "csv" => "csv",
            "jsonl" or "ndjson" or "json" => "jsonl",
            var other => throw new UsageException($"unknown format '{other}': use --format csv or --format jsonl"),
        };

    /// <summary>The CSV path: read, check and write through <c>import_tickets</c>, then report.</summary>
    private async Task<int> ImportCsvAsync(CrmClient crm, ImportSettings s, CancellationToken cancellationToken)
    {
        CsvFile file;
        using (var reader = new StreamReader(s.File, detectEncodingFromByteOrderMarks: true))
        {
            file = await CsvTicketImport.ReadAsync(reader, cancellationToken).ConfigureAwait(false);
        }

        var import = new CsvTicketImport(crm, s.Batch ?? 200);
        CsvImportResult result;
        if (Environment.IsTerminal && !s.Json && file.Rows.Count > 0)
        {
            var total = file.Rows.Count * (import.ChecksFirst(file, s.DryRun) && !s.DryRun ? 2 : 1);
            CsvImportResult? done = null;
            await Console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(s.DryRun ? $"Checking {file.Rows.Count} tickets" : $"Importing {file.Rows.Count} tickets", maxValue: total);
                    done = await import.ImportAsync(file, s.DryRun, n => task.Increment(n), cancellationToken).ConfigureAwait(false);
                }).ConfigureAwait(false);
            result = done!;
        }
        else
        {
            result = await import.ImportAsync(file, s.DryRun, null, cancellationToken).ConfigureAwait(false);
        }

        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, result);
        }
        else
        {
            foreach (var problem in result.Problems)
            {
                var column = problem.Field is { } f && !problem.Message.StartsWith($"field \"{f}\"", StringComparison.Ordinal) ? $" (column {f})" : "";
                Environment.Error.WriteLine($"{s.File}:{problem.Line}: {problem.Message}{column}");
            }

            var name = Markup.Escape(s.File);
            var summary = (result.DryRun, result.Committed, result.BadRows) switch
            {
                (true, _, 0) => $"Checked {name}: {result.Rows} rows are good; {result.Created} would be created, {result.AlreadyPresent} are already present. Nothing was written.",
                (true, _, var n) => $"Checked {name}: [red]{n} bad rows[/] of {result.Rows}. Nothing was written.",
                (false, true, 0) => $"Imported {name}: [green]{result.Created} created[/], {result.AlreadyPresent} already present.",
                (false, true, var n) => $"Imported {name} in part: [green]{result.Created} created[/] before [red]{n} bad rows[/] (see above).",
                (false, false, var n) => $"Nothing imported from {name}: [red]{n} bad rows[/] of {result.Rows}; fix them and run again.",
            };
            Console.MarkupLine(summary);
        }

        return result.BadRows == 0 ? ExitCodes.Success : ExitCodes.Error;
    }

    private async Task<List<TicketRecord>> ReadAsync(ImportSettings s, List<ImportProblem> bad, CancellationToken cancellationToken)
    {
        var format = Format(s);
        var records = new List<TicketRecord>();
        using var reader = new StreamReader(s.File);
        switch (format)
        {
            case "jsonl":
                var number = 0;
                string? text;
                while ((text = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)) is not null)
                {
                    number++;
                    if (string.IsNullOrWhiteSpace(text))
                    {
                        continue;
                    }

                    JsonObject? o;
                    try
                    {
                        o = JsonNode.Parse(text) as JsonObject;
                    }
                    catch (JsonException ex)
                    {
                        bad.Add(new ImportProblem(number, "not valid JSON: " + ex.Message));
                        continue;
                    }

                    if (o is null)
                    {
                        bad.Add(new ImportProblem(number, "not a JSON object"));
                    }
                    else if (!(o.ContainsKey("cursor") && !o.ContainsKey("subject")))
                    {
                        Add(number, o);
                    }
                }

                break;
            default:
                throw new UsageException($"unknown format '{format}': use --format csv or --format jsonl");
        }

        return records;

        void Add(int line, JsonObject o)
        {
            try
            {
                records.Add(TicketRecord.Parse(line, o));
            }
            catch (FormatException ex)
            {
                bad.Add(new ImportProblem(line, ex.Message));
            }
        }
    }

    private static (TicketRecord, NewTicket, JsonArray) BuildRows(TicketRecord r, Dictionary<string, Guid> queues, Dictionary<string, Guid> users, bool asService, Guid? me)
    {
        Guid? queueId = r.Queue is null ? null : queues.TryGetValue(r.Queue, out var q) ? q : throw new FormatException($"unknown queue '{r.Queue}'");
        Guid? requester = r.Requester switch
        {
            null => me,
            var x when Guid.TryParse(x, out var id) => id,
            var x => users.TryGetValue(x, out var id) ? id : throw new FormatException($"unknown requester '{x}'"),
        };
        if (requester is null)
        {
            throw new FormatException("requester is required with the service key");
        }

        var ticket = new NewTicket
        {
            Id = r.Id,
            Subject = r.Subject,
            Status = r.Status is null ? null : EnumValue<TicketStatus>(r.Status),
            Priority = r.Priority is null ? null : EnumValue<TicketPriority>(r.Priority),
            QueueId = queueId,
            RequesterId = requester,
            AssigneeId = r.AssigneeId,
            Tags = r.Tags?.Select(t => t!.GetValue<string>()).ToList(),
            Metadata = r.Metadata is null ? null : CrmMetadata.From(r.Metadata),

            // Kept only with the service key (the database stamps the time otherwise).
            CreatedAt = asService ? r.CreatedAt : null,
        };
        var created = r.CreatedAt ?? DateTimeOffset.UtcNow;
        var messages = new JsonArray();
        var list = r.Messages.Count > 0 || r.Description is null
            ? r.Messages
            : [new MessageRecord { Id = DeterministicId.From($"{r.Id}:message:0"), Body = r.Description, Visibility = "public", AuthorId = requester, CreatedAt = r.CreatedAt }];
        var index = 0;
        foreach (var m in list)
        {
            var row = new JsonObject
            {
                ["id"] = m.Id,
                ["ticket_id"] = r.Id,
                ["author_id"] = asService ? m.AuthorId : me,
                ["visibility"] = m.Visibility,
                ["body"] = m.Body,
            };
            if (asService)
            {
                row["created_at"] = (m.CreatedAt ?? created.AddMilliseconds(index)).ToString("O", CultureInfo.InvariantCulture);
            }

            messages.Add(row);
            index++;
        }

        return (r, ticket, messages);
    }

    /// <summary>The enum member for a database label (<c>on_hold</c> → <c>OnHold</c>); the labels were checked when the file was read.</summary>
    private static T EnumValue<T>(string label)
        where T : struct, Enum =>
        Enum.Parse<T>(label.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true);

    /// <summary>
    /// Creates each ticket of the batch with <see cref="TicketsClient.CreateAsync(NewTicket, CancellationToken)"/> (the id comes
    /// from the file, so a ticket that exists already is left as it is), then writes the conversation of the tickets that
    /// landed. A row the server refuses is reported with its line and skipped; the others still land.
    /// </summary>
    private static async Task<(int Created, int Present, int Messages)> ImportBatchAsync(
        CrmClient crm, (TicketRecord Record, NewTicket Ticket, JsonArray Messages)[] batch, List<ImportProblem> bad, CancellationToken cancellationToken)
    {
        var existing = await ExistingIdsAsync(crm, [.. batch.Select(b => b.Record.Id)], cancellationToken).ConfigureAwait(false);
        var created = 0;
        var present = 0;
        var landed = new List<(TicketRecord Record, NewTicket Ticket, JsonArray Messages)>(batch.Length);
        foreach (var row in batch)
        {
            try
            {
                await crm.Tickets.CreateAsync(row.Ticket, cancellationToken).ConfigureAwait(false);
                _ = existing.Contains(row.Record.Id) ? present++ : created++;
                landed.Add(row);
            }
            catch (CrmException ex) when (!ex.IsTransient)
            {
                bad.Add(new ImportProblem(row.Record.Line, ErrorReporter.Describe(ex, ExitCodes.Error)["error: ".Length..]));
            }
        }

        var messages = await WriteMessagesAsync(crm, [.. landed], bad, cancellationToken).ConfigureAwait(false);
        return (created, present, messages);
    }

    /// <summary>Which of these tickets exist already (and are visible to the caller), to count created against already present.</summary>
    private static async Task<HashSet<Guid>> ExistingIdsAsync(CrmClient crm, Guid[] ids, CancellationToken cancellationToken)
    {
        var existing = new HashSet<Guid>();
        foreach (var chunk in ids.Chunk(100))
        {
            var rows = await crm.Rest.From("tickets").Select("id").In("id", chunk).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in rows.EnumerateArray())
            {
                existing.Add(row.GetProperty("id").GetGuid());
            }
        }

        return existing;
    }

    /// <summary>
    /// The conversation goes in as rows with the file's ids, authors and times (which the SDK's reply methods, acting as
    /// the caller at the current time, do not take), inserted with ignore-duplicates so a re-run adds nothing.
    /// </summary>
    private static async Task<int> WriteMessagesAsync(
        CrmClient crm, (TicketRecord Record, NewTicket Ticket, JsonArray Messages)[] rows, List<ImportProblem> bad, CancellationToken cancellationToken)
    {
        var messages = new JsonArray([.. rows.SelectMany(b => b.Messages).Select(m => m!.DeepClone())]);
        if (messages.Count == 0)
        {
            return 0;
        }

        try
        {
            var result = await crm.Rest.From("ticket_messages").Upsert(messages, ignoreDuplicates: true).Select("id").AsIdempotent()
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            return result.ValueKind == JsonValueKind.Array ? result.GetArrayLength() : 0;
        }
        catch (CrmException ex) when (!ex.IsTransient && rows.Length > 1)
        {
            // One bad message fails the whole request: go ticket by ticket to find it and keep the rest.
            var written = 0;
            foreach (var row in rows)
            {
                written += await WriteMessagesAsync(crm, [row], bad, cancellationToken).ConfigureAwait(false);
            }

            return written;
        }
        catch (CrmException ex) when (!ex.IsTransient)
        {
            bad.Add(new ImportProblem(rows[0].Record.Line, "conversation: " + ErrorReporter.Describe(ex, ExitCodes.Error)["error: ".Length..]));
            return 0;
        }
    }

    internal sealed record ImportProblem(int Line, string Message);

    internal sealed record ImportSummary(int Rows, int Created, int AlreadyPresent, int MessagesWritten, int BadRows, IReadOnlyList<ImportProblem> Problems);
}
