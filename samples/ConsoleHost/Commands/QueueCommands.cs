using System.ComponentModel;
using System.Globalization;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary><c>autocrm queue list</c>.</summary>
internal sealed class QueueListCommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReadSettings s, CancellationToken cancellationToken)
    {
        var queues = await target.Client.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, queues);
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("slug").AddColumn("name").AddColumn("description").AddColumn("id");
        foreach (var q in queues)
        {
            table.AddRow(Markup.Escape(q.Slug), Markup.Escape(q.Name), Markup.Escape(q.Description), $"[grey]{q.Id}[/]");
        }

        Console.Write(table);
        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm queue stats</c>.</summary>
internal sealed class QueueStatsCommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReadSettings s, CancellationToken cancellationToken)
    {
        var stats = await target.Client.Queues.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, stats);
            return ExitCodes.Success;
        }

        Console.Write(QueueStatsTable.Build(stats));
        return ExitCodes.Success;
    }
}

/// <summary>The queue statistics table (also used live by the demo).</summary>
internal static class QueueStatsTable
{
    internal static Table Build(IEnumerable<AutoCrm.Sdk.Queues.QueueStats> stats)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("queue");
        foreach (var name in new[] { "new", "open", "pending", "on hold", "solved", "unassigned" })
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        table.AddColumn("oldest unassigned");
        foreach (var q in stats)
        {
            table.AddRow(
                Markup.Escape(q.Slug),
                q.NewCount.ToString(CultureInfo.InvariantCulture),
                q.OpenCount.ToString(CultureInfo.InvariantCulture),
                q.PendingCount.ToString(CultureInfo.InvariantCulture),
                q.OnHoldCount.ToString(CultureInfo.InvariantCulture),
                q.SolvedCount.ToString(CultureInfo.InvariantCulture),
                q.UnassignedCount > 0 ? $"[yellow]{q.UnassignedCount}[/]" : "0",
                q.OldestUnassignedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-");
        }

        return table;
    }
}

internal sealed class QueueClaimSettings : ReadSettings
{
    [CommandArgument(0, "[QUEUE]")]
    [Description("Queue slug or id; any of your queues when omitted.")]
    public string? Queue { get; init; }
}

/// <summary><c>autocrm queue claim</c>: exit 3 when nothing is waiting.</summary>
internal sealed class QueueClaimCommand(CliEnvironment environment) : CrmCommand<QueueClaimSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, QueueClaimSettings s, CancellationToken cancellationToken)
    {
        Guid? queueId = s.Queue is null ? null : (await Arguments.QueueAsync(target.Client, s.Queue, cancellationToken).ConfigureAwait(false)).Id;
        var ticket = await target.Client.Queues.ClaimNextAsync(queueId, cancellationToken).ConfigureAwait(false);
        if (ticket is null)
        {
            if (s.Json)
            {
                JsonOutput.WriteDocument<object?>(Environment.Out, null);
            }

            Environment.Error.WriteLine("error: no ticket is waiting" + (s.Queue is null ? " in your queues" : $" in {s.Queue}"));
            return ExitCodes.NotFound;
        }

        TicketOutput.Changed(Environment, s, ticket, "Claimed");
        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm queue release</c>.</summary>
internal sealed class QueueReleaseCommand(CliEnvironment environment) : CrmCommand<TicketRefSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketRefSettings s, CancellationToken cancellationToken)
    {
        var id = await Arguments.TicketIdAsync(target.Client, s.Ticket, cancellationToken).ConfigureAwait(false);
        var ticket = await target.Client.Queues.ReleaseAsync(id, cancellationToken).ConfigureAwait(false);
        TicketOutput.Changed(Environment, s, ticket, "Released");
        return ExitCodes.Success;
    }
}

internal sealed class QueueAssignSettings : TicketRefSettings
{
    [CommandArgument(1, "<AGENT>")]
    [Description("Agent id, email or 'me'.")]
    public string Agent { get; init; } = "";
}

/// <summary><c>autocrm queue assign</c>.</summary>
internal sealed class QueueAssignCommand(CliEnvironment environment) : CrmCommand<QueueAssignSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, QueueAssignSettings s, CancellationToken cancellationToken)
    {
        var id = await Arguments.TicketIdAsync(target.Client, s.Ticket, cancellationToken).ConfigureAwait(false);
        var agent = await Arguments.UserIdAsync(target.Client, s.Agent, cancellationToken).ConfigureAwait(false);
        var ticket = await target.Client.Queues.AssignAsync(id, agent, cancellationToken).ConfigureAwait(false);
        TicketOutput.Changed(Environment, s, ticket, "Assigned");
        return ExitCodes.Success;
    }
}

internal sealed class QueueTransferSettings : TicketRefSettings
{
    [CommandArgument(1, "<QUEUE>")]
    [Description("Target queue slug or id.")]
    public string Queue { get; init; } = "";
}

/// <summary><c>autocrm queue transfer</c>.</summary>
internal sealed class QueueTransferCommand(CliEnvironment environment) : CrmCommand<QueueTransferSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, QueueTransferSettings s, CancellationToken cancellationToken)
    {
        var id = await Arguments.TicketIdAsync(target.Client, s.Ticket, cancellationToken).ConfigureAwait(false);
        var queue = await Arguments.QueueAsync(target.Client, s.Queue, cancellationToken).ConfigureAwait(false);
        var ticket = await target.Client.Queues.TransferAsync(id, queue.Id, cancellationToken).ConfigureAwait(false);
        TicketOutput.Changed(Environment, s, ticket, "Transferred");
        return ExitCodes.Success;
    }
}
