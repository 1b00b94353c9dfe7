using AutoCrm.ConsoleHost.Commands;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Cli;

/// <summary>The <c>autocrm</c> command tree. <see cref="RunAsync"/> is the whole program minus the host, so tests call it in-process.</summary>
internal static class CliApp
{
    internal static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddSingleton(environment);
        var verbose = args.Contains("--verbose");
        var app = new CommandApp(new TypeRegistrar(services));
        app.Configure(config =>
        {
            config.SetApplicationName("autocrm");
            config.UseStrictParsing();
            config.ConfigureConsole(environment.Console);
            config.CancellationExitCode(ExitCodes.Cancelled);
            config.SetExceptionHandler((exception, _) => ErrorReporter.Report(exception, environment.Error, verbose));
            Configure(config);
        });

        try
        {
            return await app.RunAsync(args, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ErrorReporter.Report(new OperationCanceledException(), environment.Error, verbose: false);
        }
    }

    private static void Configure(IConfigurator config)
    {
        config.AddCommand<DemoCommand>("demo")
            .WithDescription("Run a full CRM flow (users, queues, agents and customers working concurrently) with live realtime events.");
        config.AddCommand<DevStackCommand>("devstack")
            .WithDescription("Run the local DevStack in the foreground and print its URL and keys.");
        config.AddCommand<LoginCommand>("login").WithDescription("Sign in and keep the session (owner-only file).")
            .WithExample("login", "--email", "agent.alice@autocrm.demo", "--password", "autocrm-demo");
        config.AddCommand<LogoutCommand>("logout").WithDescription("Sign out and forget the session.");
        config.AddCommand<WhoAmICommand>("whoami").WithDescription("Show the signed-in user and their role.");
        config.AddBranch("tickets", tickets =>
        {
            tickets.SetDescription("List, show, create and work tickets.");
            tickets.AddCommand<TicketsListCommand>("list").WithDescription("List tickets (filters of TicketQuery).");
            tickets.AddCommand<TicketsShowCommand>("show").WithDescription("Show a ticket with its conversation and history.");
            tickets.AddCommand<TicketsCreateCommand>("create").WithDescription("Create a ticket.");
            tickets.AddCommand<TicketsUpdateCommand>("update").WithDescription("Change a ticket's fields.");
            tickets.AddCommand<TicketsReplyCommand>("reply").WithDescription("Add a public reply.");
            tickets.AddCommand<TicketsNoteCommand>("note").WithDescription("Add an internal note (agents and admins).");
            tickets.AddCommand<TicketsCloseCommand>("close").WithDescription("Close a ticket.");
            tickets.AddCommand<TicketsReopenCommand>("reopen").WithDescription("Reopen a ticket.");
        });
        config.AddBranch("queue", queue =>
        {
            queue.SetDescription("Queues: list, statistics, claiming and routing.");
            queue.AddCommand<QueueListCommand>("list").WithDescription("List queues.");
            queue.AddCommand<QueueStatsCommand>("stats").WithDescription("Open, unassigned and urgent counts per queue.");
            queue.AddCommand<QueueClaimCommand>("claim").WithDescription("Claim the next ticket (urgent first, then oldest).");
            queue.AddCommand<QueueReleaseCommand>("release").WithDescription("Give a ticket back to its queue.");
            queue.AddCommand<QueueAssignCommand>("assign").WithDescription("Assign a ticket to an agent.");
            queue.AddCommand<QueueTransferCommand>("transfer").WithDescription("Move a ticket to another queue.");
            queue.AddCommand<QueueRoutingCommand>("routing").WithDescription("Show or set a queue's routing mode and capacity (admins set).")
                .WithExample("queue", "routing", "billing", "least_loaded", "--capacity", "5");
        });
        config.AddCommand<SearchCommand>("search").WithDescription("Search tickets in the query language: ranked hits with snippets.")
            .WithExample("search", "status:open,pending tag:billing refund");
        config.AddBranch("agents", agents =>
        {
            agents.SetDescription("Agents: availability, load, capacity and skills (routing).");
            agents.AddCommand<AgentStatusCommand>("status").WithDescription("Show or set your availability (admins: anyone's with --agent).")
                .WithExample("agents", "status", "away");
            agents.AddCommand<AgentListCommand>("list").WithDescription("Every agent's status, open tickets, capacity and skills (staff).");
            agents.AddCommand<AgentCapacityCommand>("capacity").WithDescription("Show or set an agent's, a queue's or the default capacity (admins set).")
                .WithExample("agents", "capacity", "3", "--agent", "agent.alice@autocrm.demo");
            agents.AddCommand<AgentSkillsCommand>("skills").WithDescription("Show or set an agent's skills, or a ticket's required skills with --ticket.")
                .WithExample("agents", "skills", "agent.alice@autocrm.demo", "billing", "german");
        });
        config.AddBranch("views", views =>
        {
            views.SetDescription("Saved views (named searches).");
            views.AddCommand<ViewsListCommand>("list").WithDescription("List your views and the team's.");
            views.AddCommand<ViewsSaveCommand>("save").WithAlias("add").WithDescription("Save a search as a view.");
            views.AddCommand<ViewsRemoveCommand>("rm").WithDescription("Delete a view.");
        });
        config.AddBranch("fields", fields =>
        {
            fields.SetDescription("Custom ticket fields: list; admins define and archive.");
            fields.AddCommand<FieldsListCommand>("list").WithDescription("List the fields you may see.");
            fields.AddCommand<FieldsAddCommand>("add").WithDescription("Define a field (admins).")
                .WithExample("fields", "add", "plan", "Plan", "--type", "dropdown", "--option", "free", "--option", "pro=Pro plan", "--customer-editable");
            fields.AddCommand<FieldsArchiveCommand>("archive").WithDescription("Archive a field (admins); tickets keep its values.");
        });
        config.AddBranch("rules", rules =>
        {
            rules.SetDescription("Automation rules (admins): list, add, enable, disable, and dry-run them on tickets.");
            rules.AddCommand<RulesListCommand>("list").WithDescription("List the rules in evaluation order.");
            rules.AddCommand<RulesAddCommand>("add").WithDescription("Save a rule; the database checks it.")
                .WithExample("rules", "add", "Route refunds", "--when", "subject contains refund", "--do", "set_queue billing", "--do", "set_priority high", "--do", "add_tags refund");
            rules.AddCommand<RulesEnableCommand>("enable").WithDescription("Run a rule again.");
            rules.AddCommand<RulesDisableCommand>("disable").WithDescription("Keep a rule without running it.");
            rules.AddCommand<RulesTestCommand>("test").WithDescription("Dry run: which rules would fire for a ticket or the last N tickets, and what they would do.")
                .WithExample("rules", "test", "Route refunds", "--last", "20");
        });
        config.AddBranch("sla", sla =>
        {
            sla.SetDescription("SLA policies and business-hours calendars (admins add and remove; staff list).");
            sla.AddCommand<SlaListCommand>("list").WithDescription("List the SLA policies in the order they are tried, and the calendars.");
            sla.AddCommand<SlaAddCommand>("add").WithDescription("Save an SLA policy with targets per priority; the database checks it.")
                .WithExample("sla", "add", "Standard", "--target", "urgent.first_reply=30", "--target", "urgent.resolution=4h", "--target", "normal.first_reply=2h", "--calendar", "Berlin office");
            sla.AddCommand<SlaRemoveCommand>("rm").WithDescription("Delete an SLA policy (admins); clocks it started keep their targets.")
                .WithExample("sla", "rm", "Standard");
        });
        config.AddBranch("macros", macros =>
        {
            macros.SetDescription("Macros: several actions and a reply in one step, applied as you.");
            macros.AddCommand<MacrosListCommand>("list").WithDescription("List the macros you may apply.");
            macros.AddCommand<MacrosApplyCommand>("apply").WithDescription("Apply a macro to a ticket.")
                .WithExample("macros", "apply", "Refund received", "#42");
        });
        config.AddBranch("webhooks", webhooks =>
        {
            webhooks.SetDescription("Webhooks: endpoints, the delivery log, and the dispatcher (admins / service_role key).");
            webhooks.AddCommand<WebhooksListCommand>("list").WithDescription("List webhook endpoints.");
            webhooks.AddCommand<WebhooksAddCommand>("add").WithDescription("Add an endpoint; prints its secret once.")
                .WithExample("webhooks", "add", "https://example.com/hooks/autocrm", "--event", "ticket.created", "--event", "ticket.status_changed");
            webhooks.AddCommand<WebhooksDeliveriesCommand>("deliveries").WithDescription("The delivery log, newest first, with attempts.");
            webhooks.AddCommand<WebhooksRedeliverCommand>("redeliver").WithDescription("Send a delivery again (same delivery id).");
            webhooks.AddCommand<WebhooksRunCommand>("run").WithDescription("Run the webhook dispatcher until Ctrl+C (needs the service_role key).");
        });
        config.AddBranch("report", report =>
        {
            report.SetDescription("Reports (agents: their queues; admins: everything): a period's summary and time series, as charts, JSON or CSV.");
            report.AddCommand<ReportSummaryCommand>("summary").WithDescription("Tickets created and solved, reply and resolution times, backlog, reopens, CSAT and SLA for a period.")
                .WithExample("report", "summary", "--from", "2026-01-01", "--to", "2026-04-01", "--queue", "billing");
            report.AddCommand<ReportTimeSeriesCommand>("timeseries").WithDescription("One metric per day, week or month of a time zone, optionally per queue, agent, priority or channel.")
                .WithExample("report", "timeseries", "first_reply_median", "--bucket", "week", "--time-zone", "Europe/Berlin", "--group-by", "queue");
        });
        config.AddCommand<WatchCommand>("watch").WithDescription("Print status changes, queue updates and SLA breaches live until Ctrl+C.");
        config.AddCommand<ImportCommand>("import").WithDescription("Bulk-create tickets from CSV or JSON Lines; re-running creates no duplicates.");
        config.AddCommand<ExportCommand>("export").WithDescription("Export tickets with their conversation as JSON Lines, ending with a cursor.");
        config.AddCommand<DoctorCommand>("doctor").WithDescription("Check a deployment: migrations, functions, row-level security, anon access, pg_cron and realtime.")
            .WithExample("doctor", "--url", "https://<project>.supabase.co", "--key", "<anon key>");
        config.AddCommand<SeedCommand>("seed").WithDescription("Load a generated, reproducible data set (years of tickets) straight into the database.")
            .WithExample("seed", "--tickets", "1000000");
    }
}
