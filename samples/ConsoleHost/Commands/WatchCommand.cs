using System.ComponentModel;
using System.Globalization;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.ConsoleHost.Demo;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class WatchSettings : ReadSettings
{
    [CommandOption("-q|--queue <QUEUE>")]
    [Description("Only this queue (slug or id); all queues you can see otherwise.")]
    public string? Queue { get; init; }
}

/// <summary><c>autocrm watch</c>: status changes (<c>tickets:status_change</c>), queue updates (<c>queue:updates</c>) and SLA
/// breaches (<c>sla:breached</c>, staff only) as they happen, until Ctrl+C (exit 0). --json prints JSON Lines.</summary>
internal sealed class WatchCommand(CliEnvironment environment) : CrmCommand<WatchSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, WatchSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        Guid? only = s.Queue is null ? null : (await Arguments.QueueAsync(crm, s.Queue, cancellationToken).ConfigureAwait(false)).Id;
        var queues = (await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(q => q.Id, q => q.Slug);
        var queueIds = only is { } q ? [q] : queues.Keys.ToList();
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new object();
        await using (var feed = new RealtimeFeed(crm, only, queueIds, e => { lock (gate) { Print(s, e, queues); } }, ex => failed.TrySetResult(ex), slaBreaches: true))
        {
            // Once the streams are live every later change is shown; the banner says so.
            await feed.WhenLiveAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            Console.MarkupLineInterpolated($"[grey]Watching {(s.Queue is null ? "all queues" : s.Queue)} on {target.Url} — Ctrl+C to stop.[/]");
            try
            {
                throw await failed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
        }
    }

    private void Print(WatchSettings s, DemoEvent e, Dictionary<Guid, string> queues)
    {
        if (s.Json)
        {
            JsonOutput.WriteLine(Environment.Out, new
            {
                stream = e.Stream,
                ticket_id = e.TicketId,
                change = e.Text,
                queue = e.QueueId is { } q ? queues.GetValueOrDefault(q, q.ToString()) : null,
                actor_id = e.ActorId,
                event_id = e.EventId,
                at = e.At,
                due_at = e.DueAt,
            });
            return;
        }

        var time = (e.At ?? DateTimeOffset.UtcNow).ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var stream = e.Stream switch
        {
            DemoEvent.StatusStream => "[blue]status[/]",
            DemoEvent.SlaStream => "[red]sla   [/]",
            _ => "[green]queue [/]",
        };
        var where = e.QueueId is { } id ? " in " + Markup.Escape(queues.GetValueOrDefault(id, id.ToString()))
            : e.DueAt is { } due ? " (was due " + due.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture) + ")"
            : string.Empty;
        Console.MarkupLine($"[grey]{time}[/] {stream} ticket {e.TicketId.ToString()[..8]} {Markup.Escape(e.Text)}{where}");
    }
}
