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

    [CommandOption("--overlap <SECONDS>")]
    [Description("How far back the next export re-reads, to catch changes that committed late (default 600).")]
    [DefaultValue(600)]
    public int OverlapSeconds { get; init; } = 600;

    public override ValidationResult Validate() =>
        OverlapSeconds is < 0 or > 7 * 24 * 3600 ? ValidationResult.Error("--overlap must be between 0 and 604800 seconds") : ValidationResult.Success();
}

/// <summary><c>autocrm export</c>: tickets the caller can see, oldest change first, one JSON object per line with the
/// conversation; the last line is <c>{"cursor": "..."}</c> for the next incremental export, which re-reads an overlap
/// window and skips ticket states already written (see <see cref="ExportCursor"/>). The lines import back.</summary>
internal sealed class ExportCommand(CliEnvironment environment) : CrmCommand<ExportSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ExportSettings s, CancellationToken cancellationToken)
    {
        var since = s.Since is null ? null : ExportCursor.Decode(s.Since);
        var crm = target.Client;
        var writer = s.Output is null ? Environment.Out : new StreamWriter(s.Output, append: false);
        try
        {
            var read = new List<(Guid Id, int Version, DateTimeOffset UpdatedAt)>();
            var count = 0;
            var query = new TicketQuery { UpdatedFrom = since?.Watermark, Sort = TicketSort.Updated, PageSize = 200 };
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
