using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.ConsoleHost.Transfer;
using AutoCrm.Sdk;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class ImportSettings : ReadSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("A .csv file (header row) or a .jsonl file (one ticket object per line, e.g. from `autocrm export`).")]
    public string File { get; init; } = "";

    [CommandOption("--format <FORMAT>")]
    [Description("csv or jsonl (default: from the file extension).")]
    public string? Format { get; init; }

    [CommandOption("--batch <N>")]
    [Description("Tickets per request (default 50).")]
    [DefaultValue(50)]
    public int Batch { get; init; } = 50;

    public override ValidationResult Validate() =>
        Batch is < 1 or > 1000 ? ValidationResult.Error("--batch must be between 1 and 1000") : ValidationResult.Success();
}

/// <summary><c>autocrm import</c>: bulk-creates tickets (and their conversation) with ids derived from each row's source
/// key, inserted with ignore-duplicates, so re-running the same file creates nothing new. Bad rows are reported with their
/// line number and skipped; the good ones still land. Exit 0 when every row is in, 1 when some were bad.</summary>
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

        var me = session?.User?.Id ?? (session is null ? null : (await crm.Auth.GetUserAsync(cancellationToken).ConfigureAwait(false)).Id);
        var bad = new List<ImportProblem>();
        var records = await ReadAsync(s, bad, cancellationToken).ConfigureAwait(false);
        var unreadable = bad.Count;

        var queues = (await crm.Queues.ListAsync(cancellationToken).ConfigureAwait(false))
            .SelectMany(q => new[] { (Key: q.Slug, q.Id), (Key: q.Id.ToString(), q.Id) })
            .ToDictionary(x => x.Key, x => x.Id, StringComparer.OrdinalIgnoreCase);
        var users = new Dictionary<string, Guid>(StringComparer.OrdinalIgnoreCase);
        if (records.Any(r => r.Requester is { } req && !Guid.TryParse(req, out _)))
        {
            foreach (var p in await crm.Queues.ListProfilesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (p.Email is not null)
                {
                    users[p.Email] = p.Id;
                }
            }
        }

        var rows = new List<(TicketRecord Record, JsonObject Ticket, JsonArray Messages)>();
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
            foreach (var batch in rows.Chunk(s.Batch))
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

    private async Task<List<TicketRecord>> ReadAsync(ImportSettings s, List<ImportProblem> bad, CancellationToken cancellationToken)
    {
        var format = (s.Format ?? Path.GetExtension(s.File).TrimStart('.')).ToLowerInvariant();
        var records = new List<TicketRecord>();
        using var reader = new StreamReader(s.File);
        switch (format)
        {
            case "csv":
                List<string>? header = null;
                await foreach (var (line, fields) in CsvReader.ReadAsync(reader, cancellationToken).ConfigureAwait(false))
                {
                    if (header is null)
                    {
                        header = [.. fields.Select(f => f.Trim().ToLowerInvariant())];
                        continue;
                    }

                    if (fields.Count != header.Count)
                    {
                        bad.Add(new ImportProblem(line, $"expected {header.Count} fields, found {fields.Count}"));
                        continue;
                    }

                    var o = new JsonObject();
                    for (var i = 0; i < header.Count; i++)
                    {
                        o[header[i]] = fields[i];
                    }

                    Add(line, o);
                }

                break;
            case "jsonl" or "ndjson" or "json":
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

    private static (TicketRecord, JsonObject, JsonArray) BuildRows(TicketRecord r, Dictionary<string, Guid> queues, Dictionary<string, Guid> users, bool asService, Guid? me)
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

        // Bulk inserts take their columns from the rows, so every row spells out every column.
        var ticket = new JsonObject
        {
            ["id"] = r.Id,
            ["subject"] = r.Subject,
            ["status"] = r.Status ?? "new",
            ["priority"] = r.Priority ?? "normal",
            ["queue_id"] = queueId,
            ["requester_id"] = requester,
            ["assignee_id"] = r.AssigneeId,
            ["tags"] = r.Tags?.DeepClone() ?? new JsonArray(),
            ["metadata"] = r.Metadata?.DeepClone() ?? new JsonObject(),
        };
        var created = r.CreatedAt ?? DateTimeOffset.UtcNow;
        if (asService)
        {
            ticket["created_at"] = created.ToString("O", CultureInfo.InvariantCulture);
        }

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

    private static async Task<(int Created, int Present, int Messages)> ImportBatchAsync(
        CrmClient crm, (TicketRecord Record, JsonObject Ticket, JsonArray Messages)[] batch, List<ImportProblem> bad, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteAsync(crm, batch, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmException ex) when (!ex.IsTransient && batch.Length > 1)
        {
            // One bad row fails the whole request: go row by row to find it and keep the rest.
            var totals = (Created: 0, Present: 0, Messages: 0);
            foreach (var row in batch)
            {
                var (c, p, m) = await ImportBatchAsync(crm, [row], bad, cancellationToken).ConfigureAwait(false);
                totals = (totals.Created + c, totals.Present + p, totals.Messages + m);
            }

            return totals;
        }
        catch (CrmException ex) when (!ex.IsTransient)
        {
            bad.Add(new ImportProblem(batch[0].Record.Line, ErrorReporter.Describe(ex, ExitCodes.Error)["error: ".Length..]));
            return (0, 0, 0);
        }
    }

    private static async Task<(int Created, int Present, int Messages)> WriteAsync(
        CrmClient crm, (TicketRecord Record, JsonObject Ticket, JsonArray Messages)[] batch, CancellationToken cancellationToken)
    {
        var tickets = new JsonArray([.. batch.Select(b => (JsonNode?)b.Ticket.DeepClone())]);
        var inserted = await crm.Rest.From("tickets").Upsert(tickets, ignoreDuplicates: true).Select("id").AsIdempotent()
            .ToJsonAsync(cancellationToken).ConfigureAwait(false);
        var created = inserted.ValueKind == JsonValueKind.Array ? inserted.GetArrayLength() : 0;
        var messages = new JsonArray([.. batch.SelectMany(b => b.Messages).Select(m => m!.DeepClone())]);
        var written = 0;
        if (messages.Count > 0)
        {
            var result = await crm.Rest.From("ticket_messages").Upsert(messages, ignoreDuplicates: true).Select("id").AsIdempotent()
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            written = result.ValueKind == JsonValueKind.Array ? result.GetArrayLength() : 0;
        }

        return (created, batch.Length - created, written);
    }

    internal sealed record ImportProblem(int Line, string Message);

    internal sealed record ImportSummary(int Rows, int Created, int AlreadyPresent, int MessagesWritten, int BadRows, IReadOnlyList<ImportProblem> Problems);
}
