using System.ComponentModel;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary><c>autocrm macros list</c>: the macros the caller may apply (shared ones and their own; staff only).</summary>
internal sealed class MacrosListCommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReadSettings s, CancellationToken cancellationToken)
    {
        var macros = await target.Client.Macros.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, macros);
            return ExitCodes.Success;
        }

        if (macros.Count == 0)
        {
            Environment.Out.WriteLine("No macros (agents and admins see the shared ones and their own).");
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("name").AddColumn("who").AddColumn("do").AddColumn("reply").AddColumn("id");
        foreach (var m in macros)
        {
            table.AddRow(Markup.Escape(m.Name), m.Shared ? "team" : "personal", Markup.Escape(RuleText.Describe(m.Actions)), Markup.Escape(m.Reply ?? ""), m.Id.ToString());
        }

        Console.Write(table);
        return ExitCodes.Success;
    }
}

internal sealed class MacroApplySettings : ReadSettings
{
    [CommandArgument(0, "<MACRO>")]
    [Description("The macro's id or name.")]
    public string Macro { get; init; } = "";

    [CommandArgument(1, "<TICKET>")]
    [Description("The ticket (uuid, 42 or #42).")]
    public string Ticket { get; init; } = "";
}

/// <summary>
/// <c>autocrm macros apply MACRO TICKET</c>: applies the macro as the signed-in agent, in one transaction with their
/// permissions; a change they may not make (a queue they are not in) is refused and nothing changes.
/// </summary>
internal sealed class MacrosApplyCommand(CliEnvironment environment) : CrmCommand<MacroApplySettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, MacroApplySettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        var macro = await FindAsync(crm, s.Macro, cancellationToken).ConfigureAwait(false);
        var ticketId = await Arguments.TicketIdAsync(crm, s.Ticket, cancellationToken).ConfigureAwait(false);
        var ticket = await crm.Macros.ApplyAsync(ticketId, macro.Id, cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, ticket);
        }
        else
        {
            Environment.Out.WriteLine($"Applied macro \"{macro.Name}\" to #{ticket.Number}: {Arguments.Snake(ticket.Status)}, {Arguments.Snake(ticket.Priority)}, tags [{string.Join(", ", ticket.Tags)}].");
        }

        return ExitCodes.Success;
    }

    private static async Task<Macro> FindAsync(CrmClient crm, string reference, CancellationToken cancellationToken)
    {
        var macros = await crm.Macros.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var matches = Guid.TryParse(reference, out var id)
            ? macros.Where(m => m.Id == id).ToList()
            : macros.Where(m => string.Equals(m.Name, reference, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new NotFoundException($"macro '{reference}' not found (or not yours to use)"),
            _ => throw new UsageException($"{matches.Count} macros are named '{reference}'; use the id ({string.Join(", ", matches.Select(m => m.Id))})"),
        };
    }
}
