using System.ComponentModel;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.ConsoleHost.Transfer;
using AutoCrm.Sdk.Tickets;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class ExportSettings : ConnectionSettings
{
    [CommandOption("--since <CURSOR>")]
    [Description("Only tickets changed after this cursor (the last line of a previous export).")]
    public string? Since { get; init; }

    [CommandOption("-o|--output <FILE>")]
    [Description("Write to a file instead of standard output.")]
    public string? Output { get; init; }

    [CommandOption("--format <FORMAT>")]
    [Description("jsonl (tickets with their conversation, ending with a cursor) or csv (one row per ticket with a column per custom field, as `autocrm import` reads it). Default: from --output's extension, else jsonl.")]
    public string? Format { get; init; }

    [CommandOption("-q|--query <QUERY>")]
    [Description("Only tickets matching a search in the query language, e.g. \"status:open field.plan:pro\" (free text needs --format csv).")]
    public string? Query { get; init; }

    [CommandOption("--overlap <SECONDS>")]
    [Description("How far back the next export re-reads, to catch changes that committed late (default 600).")]
    [DefaultValue(600)]
    public int OverlapSeconds { get; init; } = 600;

    public override ValidationResult Validate() =>
        OverlapSeconds is < 0 or > 7 * 24 * 3600 ? ValidationResult.Error("--overlap must be between 0 and 604800 seconds") : ValidationResult.Success();
}

/// <summary><c>autocrm export</c>: tickets the caller can see, oldest change first, one JSON object per line with the
/// conversation; the last line is <c>{"cursor": "..."}</c> for the next incremental export, which re-reads an overlap
/// window and skips ticket states already written (see <see cref="ExportCursor"/>). The lines import back. With
/// <c>--format csv</c>, <see cref="CsvTicketExport"/> writes a CSV file instead.</summary>
internal sealed class ExportCommand(CliEnvironment environment) : CrmCommand<ExportSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ExportSettings s, CancellationToken cancellationToken)
    {
        var csv = (s.Format ?? (s.Output is null ? "jsonl" : Path.GetExtension(s.Output).TrimStart('.'))).ToLowerInvariant() switch
        {
            "csv" => true,
            "jsonl" or "ndjson" or "json" or "" => false,
            var other => throw new UsageException($"unknown format '{other}': use --format csv or --format jsonl"),
        };
        var search = s.Query is null ? null : SearchQueries.Parse(s.Query);
        if (csv && s.Since is not null)
        {
            throw new UsageException("--since is for JSON Lines exports (CSV has no cursor line)");
        }

        if (!csv && search is { HasText: true })
        {
            throw new UsageException("free text in --query needs --format csv; a JSON Lines export takes filters only");
        }

        var since = s.Since is null ? null : ExportCursor.Decode(s.Since);
        var crm = target.Client;
        var writer = s.Output is null ? Environment.Out : new StreamWriter(s.Output, append: false);
        try
        {
            if (csv)
            {
                var written = await new CsvTicketExport(crm).WriteAsync(writer, search, cancellationToken).ConfigureAwait(false);
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (s.Output is not null)
                {
                    Environment.Error.WriteLine($"Exported {written} tickets to {s.Output}.");
                }

                return ExitCodes.Success;
            }

            var read = new List<(Guid Id, int Version, DateTimeOffset UpdatedAt)>();
            var count = 0;
            var filter = search?.Filter ?? new TicketQuery();
            var from = (filter.UpdatedFrom, since?.Watermark) switch
            {
                ({ } a, { } b) => a > b ? a : b,
                var (a, b) => a ?? b,
            };
            var query = filter with { UpdatedFrom = from, Sort = TicketSort.Updated, Descending = false, PageSize = 200 };
            await foreach (var ticket in crm.Tickets.ListAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                read.Add((ticket.Id, ticket.Version, ticket.UpdatedAt));
                if (since is not null && since.AlreadyExported(ticket.Id, ticket.Version))
                {
                    continue;
                }

                var conversation = await crm.Tickets.ListMessagesAsync(ticket.Id, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
                JsonOutput.WriteLine(writer, ticket with { ConversationHistory = conversation });
                count++;
            }

            var next = ExportCursor.After(since, read, TimeSpan.FromSeconds(s.OverlapSeconds));
            JsonOutput.WriteLine(writer, new { cursor = next.Encode(), count });
            if (s.Output is not null)
            {
                Environment.Error.WriteLine($"Exported {count} tickets to {s.Output}.");
            }
        }
        finally
        {
            if (s.Output is not null)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }
        }

        return ExitCodes.Success;
    }
}
