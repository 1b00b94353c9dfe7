using System.ComponentModel;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.ConsoleHost.Transfer;
using AutoCrm.Sdk.Tickets;
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
}

/// <summary><c>autocrm export</c>: tickets the caller can see, oldest change first, one JSON object per line with the
/// conversation; the last line is <c>{"cursor": "..."}</c> for the next incremental export. The lines import back.</summary>
internal sealed class ExportCommand(CliEnvironment environment) : CrmCommand<ExportSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ExportSettings s, CancellationToken cancellationToken)
    {
        var since = s.Since is null ? null : ExportCursor.Decode(s.Since);
        var crm = target.Client;
        var writer = s.Output is null ? Environment.Out : new StreamWriter(s.Output, append: false);
        try
        {
            var last = since;
            var count = 0;
            var query = new TicketQuery { UpdatedFrom = since?.UpdatedAt, Sort = TicketSort.Updated, PageSize = 200 };
            await foreach (var ticket in crm.Tickets.ListAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (since is not null && !since.IsBefore(ticket.UpdatedAt, ticket.Id))
                {
                    continue;
                }

                var conversation = await crm.Tickets.GetConversationAsync(ticket.Id, cancellationToken).ConfigureAwait(false);
                JsonOutput.WriteLine(writer, ticket with { ConversationHistory = conversation });
                count++;
                if (last is null || last.IsBefore(ticket.UpdatedAt, ticket.Id))
                {
                    last = new ExportCursor(ticket.UpdatedAt, ticket.Id);
                }
            }

            last ??= new ExportCursor(DateTimeOffset.UnixEpoch, Guid.Empty);
            JsonOutput.WriteLine(writer, new { cursor = last.Encode(), count });
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
