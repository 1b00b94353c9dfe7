using System.ComponentModel;
using System.Globalization;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk.Webhooks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary><c>autocrm webhooks list</c> (admins, or the service_role key).</summary>
internal sealed class WebhooksListCommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, ReadSettings s, CancellationToken cancellationToken)
    {
        var endpoints = await target.Client.Webhooks.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, endpoints);
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("url").AddColumn("events").AddColumn("active").AddColumn("secret").AddColumn("id");
        foreach (var e in endpoints)
        {
            table.AddRow(
                Markup.Escape(e.Url),
                Markup.Escape(string.Join(", ", e.Events)) + (e.InternalEvents ? " [grey](+internal)[/]" : ""),
                e.Active ? "yes" : $"[red]no[/] {Markup.Escape(e.DisabledReason ?? "")}",
                "…" + Markup.Escape(e.SecretHint),
                $"[grey]{e.Id}[/]");
        }

        Console.Write(table);
        return ExitCodes.Success;
    }
}

internal sealed class WebhooksAddSettings : ReadSettings
{
    [CommandArgument(0, "<URL>")]
    [Description("The receiver's http(s) URL.")]
    public string EndpointUrl { get; init; } = "";

    [CommandOption("-e|--event <TYPE>")]
    [Description("An event to deliver (repeat): ticket.created, ticket.updated, ticket.status_changed, ticket.assigned, message.created, sla.breached, rule.notify.")]
    public string[] Events { get; init; } = [];

    [CommandOption("-d|--description <TEXT>")]
    [Description("What the endpoint is for.")]
    public string? Description { get; init; }

    [CommandOption("--internal")]
    [Description("Also deliver internal events (internal notes, rule.notify).")]
    public bool InternalEvents { get; init; }

    public override ValidationResult Validate() =>
        Events.Length == 0 ? ValidationResult.Error("Name at least one event with --event.") : ValidationResult.Success();
}

/// <summary><c>autocrm webhooks add</c>: prints the secret, the only time it can be read.</summary>
internal sealed class WebhooksAddCommand(CliEnvironment environment) : CrmCommand<WebhooksAddSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, WebhooksAddSettings s, CancellationToken cancellationToken)
    {
        var created = await target.Client.Webhooks.CreateAsync(new NewWebhookEndpoint
        {
            Url = s.EndpointUrl,
            Events = [.. s.Events.Select(e => new WebhookEventType(e.Trim()))],
            Description = s.Description,
            InternalEvents = s.InternalEvents,
        }, cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, created);
            return ExitCodes.Success;
        }

        Console.MarkupLineInterpolated($"Created endpoint [bold]{created.Endpoint.Id}[/] for {created.Endpoint.Url}");
        Console.MarkupLineInterpolated($"Secret (shown only now; give it to the receiver): [bold]{created.Secret}[/]");
        return ExitCodes.Success;
    }
}

internal sealed class WebhooksDeliveriesSettings : ReadSettings
{
    [CommandOption("--endpoint <ID>")]
    [Description("Only this endpoint's deliveries.")]
    public Guid? Endpoint { get; init; }

    [CommandOption("--state <STATE>")]
    [Description("Only pending, delivered or failed deliveries.")]
    public WebhookDeliveryState? State { get; init; }

    [CommandOption("-n|--limit <N>")]
    [Description("How many, newest first (default 20, at most 1000).")]
    public int Limit { get; init; } = 20;

    public override ValidationResult Validate() =>
        Limit is < 1 or > 1000 ? ValidationResult.Error("--limit is 1 to 1000.") : ValidationResult.Success();
}

/// <summary><c>autocrm webhooks deliveries</c>: the delivery log, newest first, with each delivery's attempts.</summary>
internal sealed class WebhooksDeliveriesCommand(CliEnvironment environment) : CrmCommand<WebhooksDeliveriesSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, WebhooksDeliveriesSettings s, CancellationToken cancellationToken)
    {
        var query = new WebhookDeliveryQuery { EndpointId = s.Endpoint, State = s.State, IncludeAttempts = true, PageSize = s.Limit };
        var deliveries = new List<WebhookDelivery>();
        await foreach (var page in target.Client.Webhooks.ListDeliveriesAsync(query, cancellationToken).AsPages().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            deliveries.AddRange(page.Items);
            break;
        }

        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, deliveries);
            return ExitCodes.Success;
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("created").AddColumn("event").AddColumn("state").AddColumn(new TableColumn("attempts").RightAligned())
            .AddColumn("last answer").AddColumn("delivery id");
        foreach (var d in deliveries)
        {
            var state = d.State switch
            {
                WebhookDeliveryState.Delivered => "[green]delivered[/]",
                WebhookDeliveryState.Failed => "[red]failed[/]",
                _ => $"pending (next {d.NextAttemptAt.ToString("u", CultureInfo.InvariantCulture)})",
            };
            var answer = d.LastStatusCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "-";
            table.AddRow(
                d.CreatedAt.ToString("u", CultureInfo.InvariantCulture),
                Markup.Escape(d.EventType.Value),
                state,
                d.AttemptCount.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(d.LastError is { } error ? $"{answer} {error}" : answer),
                $"[grey]{d.Id}[/]");
        }

        Console.Write(table);
        return ExitCodes.Success;
    }
}

internal sealed class WebhooksRedeliverSettings : ReadSettings
{
    [CommandArgument(0, "<DELIVERY_ID>")]
    [Description("The delivery to send again (same delivery id).")]
    public Guid Delivery { get; init; }
}

/// <summary><c>autocrm webhooks redeliver</c>.</summary>
internal sealed class WebhooksRedeliverCommand(CliEnvironment environment) : CrmCommand<WebhooksRedeliverSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, WebhooksRedeliverSettings s, CancellationToken cancellationToken)
    {
        var delivery = await target.Client.Webhooks.RedeliverAsync(s.Delivery, cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, delivery);
            return ExitCodes.Success;
        }

        Console.MarkupLineInterpolated($"Queued delivery {delivery.Id} ({delivery.EventType.Value}) again; a running dispatcher sends it.");
        return ExitCodes.Success;
    }
}

internal sealed class WebhooksRunSettings : ConnectionSettings
{
    [CommandOption("--once")]
    [Description("Send what is due now, then exit (otherwise run until Ctrl+C).")]
    public bool Once { get; init; }
}

/// <summary><c>autocrm webhooks run</c>: the webhook dispatcher, with the service_role key.</summary>
internal sealed class WebhooksRunCommand(CliEnvironment environment) : CrmCommand<WebhooksRunSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, WebhooksRunSettings s, CancellationToken cancellationToken)
    {
        if (target.ServiceRoleKey is not { } serviceKey)
        {
            throw new UsageException("webhooks run needs the service_role key: pass it with --key (only the service role may lease deliveries).");
        }

        using var dispatcher = new WebhookDispatcher(new WebhookDispatcherOptions { Url = target.Url, ServiceRoleKey = serviceKey });
        if (s.Once)
        {
            var sent = 0;
            int leased;
            while ((leased = await dispatcher.DispatchDueAsync(cancellationToken).ConfigureAwait(false)) > 0)
            {
                sent += leased;
            }

            Console.MarkupLineInterpolated($"Dispatched {sent} due deliver{(sent == 1 ? "y" : "ies")}.");
            return ExitCodes.Success;
        }

        Console.MarkupLineInterpolated($"[grey]Dispatcher {dispatcher.Name} sending webhooks from {target.Url} — Ctrl+C to stop.[/]");
        try
        {
            await dispatcher.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return ExitCodes.Success;
    }
}
