using System.ComponentModel;
using System.Globalization;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.ConsoleHost.Demo;
using AutoCrm.DevStack;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class DemoSettings : ConnectionSettings
{
    [CommandOption("--json")]
    [Description("Print only the summary, as JSON.")]
    public bool Json { get; init; }

    [CommandOption("--persistent")]
    [Description("Use the persistent DevStack under ~/.autocrm/devstack instead of a throwaway one.")]
    public bool Persistent { get; init; }

    [CommandOption("--tickets <N>")]
    [Description("Tickets the customers file (default 12).")]
    [DefaultValue(12)]
    public int Tickets { get; init; } = 12;

    [CommandOption("--agents <N>")]
    [Description("Agents working concurrently (1-8, default 3).")]
    [DefaultValue(3)]
    public int Agents { get; init; } = 3;

    [CommandOption("--customers <N>")]
    [Description("Customers (1-8, default 3).")]
    [DefaultValue(3)]
    public int Customers { get; init; } = 3;

    [CommandOption("--timeout <SECONDS>")]
    [Description("How long to wait for the streams to deliver every change (default 30).")]
    [DefaultValue(30)]
    public int Timeout { get; init; } = 30;

    [CommandOption("--pace <SECONDS>")]
    [Description("Seconds each simulated person waits before each action, to follow the run live (default 0: full speed; try 0.5).")]
    [DefaultValue(0.0)]
    public double Pace { get; init; }

    public override ValidationResult Validate() =>
        Tickets is < 1 or > 1000 ? ValidationResult.Error("--tickets must be between 1 and 1000")
        : Agents is < 1 or > 8 ? ValidationResult.Error("--agents must be between 1 and 8")
        : Customers is < 1 or > 8 ? ValidationResult.Error("--customers must be between 1 and 8")
        : Timeout < 1 ? ValidationResult.Error("--timeout must be positive")
        : Pace is < 0 or > 10 or double.NaN ? ValidationResult.Error("--pace must be between 0 and 10 seconds")
        : ValidationResult.Success();
}

/// <summary><c>autocrm demo</c>: with nothing configured it starts a throwaway DevStack in-process; with --url/--key (the
/// service_role key) it runs against that project. Exit 0 when the streams delivered exactly the changes made.</summary>
internal sealed class DemoCommand(CliEnvironment environment) : AsyncCommand<DemoSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DemoSettings settings, CancellationToken cancellationToken)
    {
        var (configuredUrl, configuredKey, _) = Connector.Resolve(settings, environment);
        DevStackServer? server = null;
        Uri url;
        string serviceKey;
        string? anonKey = null;
        if (configuredUrl is null)
        {
            if (!settings.Json)
            {
                environment.Console.MarkupLine(settings.Persistent ? "Starting the DevStack (~/.autocrm/devstack)…" : "Starting a throwaway DevStack (PostgreSQL + REST + Auth + Realtime, in-process)…");
            }

            server = await Connector.StartEmbeddedAsync(environment, settings.Persistent ? Path.Combine(environment.ConfigDirectory, "devstack") : null, port: 0, reset: false, cancellationToken).ConfigureAwait(false);
            (url, serviceKey, anonKey) = (server.Url, server.ServiceRoleKey, server.AnonKey);
        }
        else
        {
            if (configuredKey is null || CrmTarget.KeyRole(configuredKey) != "service_role")
            {
                throw new UsageException("the demo creates users and queues: against a project give its service_role key with --key");
            }

            (url, serviceKey) = (new Uri(configuredUrl), configuredKey);
        }

        try
        {
            var runner = new DemoRunner(
                environment,
                new DemoOptions { Tickets = settings.Tickets, Agents = settings.Agents, Customers = settings.Customers, Json = settings.Json, EventTimeout = TimeSpan.FromSeconds(settings.Timeout), Pace = TimeSpan.FromSeconds(settings.Pace) },
                url,
                serviceKey,
                anonKey);
            var summary = await runner.RunAsync(cancellationToken).ConfigureAwait(false);
            if (settings.Json)
            {
                JsonOutput.WriteDocument(environment.Out, summary);
            }
            else
            {
                Print(summary);
            }

            if (!summary.Consistent)
            {
                environment.Error.WriteLine($"error: the streams delivered {summary.StatusEventsReceived}/{summary.StatusChangesMade} status changes and {summary.QueueUpdatesReceived}/{summary.QueueUpdatesMade} queue updates");
                return ExitCodes.Error;
            }

            return ExitCodes.Success;
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private void Print(DemoSummary s)
    {
        var console = environment.Console;
        console.Write(new Rule($"[bold]demo summary[/] (run {s.Run}, {s.DurationSeconds.ToString(CultureInfo.InvariantCulture)} s)").LeftJustified());
        var byStatus = new Table().Border(TableBorder.Rounded).AddColumn("status").AddColumn(new TableColumn("tickets").RightAligned());
        foreach (var (status, count) in s.TicketsByStatus.Where(kv => kv.Value > 0))
        {
            byStatus.AddRow(status, count.ToString(CultureInfo.InvariantCulture));
        }

        var claims = new Table().Border(TableBorder.Rounded).AddColumn("agent").AddColumn(new TableColumn("claims").RightAligned());
        foreach (var (agent, count) in s.ClaimsPerAgent)
        {
            claims.AddRow(Markup.Escape(agent), count.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(new Columns(byStatus, claims));
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("tickets filed", s.TicketsFiled.ToString(CultureInfo.InvariantCulture));
        grid.AddRow("replies / internal notes / priority changes", $"{s.Replies} / {s.InternalNotes} / {s.PriorityChanges}");
        grid.AddRow("reopened / closed by customers", $"{s.Reopened} / {s.ClosedByCustomers}");
        grid.AddRow("median first response", s.MedianFirstResponseSeconds is { } m ? $"{m.ToString("0.000", CultureInfo.InvariantCulture)} s" : "-");
        var ok = s.Consistent ? "[green]match[/]" : "[red]MISMATCH[/]";
        grid.AddRow("status changes: made / received", $"{s.StatusChangesMade} / {s.StatusEventsReceived} {ok}");
        grid.AddRow("queue updates: made / received", $"{s.QueueUpdatesMade} / {s.QueueUpdatesReceived} {ok}");
        grid.AddRow("live events from", Markup.Escape(s.Feed));
        if (s.Automation is { } a)
        {
            grid.AddRow("automation rule", Markup.Escape($"\"{a.Rule}\" routed #{a.TicketNumber} to {a.Queue}, {a.Priority}, tags {string.Join(", ", a.Tags)} ({a.RuleFirings} rule_applied event in its history)"));
            grid.AddRow("macro", Markup.Escape($"\"{a.Macro}\": #{a.TicketNumber} now {a.StatusAfterMacro}; reply \"{a.MacroReply}\""));
        }

        if (s.Integrations is { } i)
        {
            grid.AddRow("webhook", Markup.Escape($"{i.WebhookEvent} for #{i.WebhookTicketNumber} delivered to a local receiver, signature {(i.WebhookSignatureVerified ? "verified" : "NOT verified")}"));
            grid.AddRow("search", Markup.Escape($"\"{i.SearchQuery}\" found {i.SearchHits} of the customer's tickets"));
            grid.AddRow("CSAT", Markup.Escape(i.RatedTicketNumber > 0 ? $"#{i.RatedTicketNumber} rated {i.Rating}" : i.Rating));
            grid.AddRow("today's report (that queue)", Markup.Escape(
                $"{i.ReportCreated} created, {i.ReportSolved} solved, first reply median {Minutes(i.FirstReplyMedianMinutes)}, CSAT {(i.CsatPercent is { } c ? c.ToString("0", CultureInfo.InvariantCulture) + " %" : "-")}"));
        }

        console.Write(grid);
    }

    private static string Minutes(decimal? minutes) => minutes is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) + " min" : "-";
}
