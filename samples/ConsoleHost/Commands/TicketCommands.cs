using System.ComponentModel;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.Sdk.Tickets;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class TicketsListSettings : ReadSettings
{
    [CommandOption("-s|--status <STATUS>")]
    [Description("Any of these statuses (repeat or comma-separate): new, open, pending, on_hold, solved, closed.")]
    public string[]? Status { get; init; }

    [CommandOption("-p|--priority <PRIORITY>")]
    [Description("Any of these priorities: low, normal, high, urgent.")]
    public string[]? Priority { get; init; }

    [CommandOption("-q|--queue <QUEUE>")]
    [Description("Queue slug or id.")]
    public string? Queue { get; init; }

    [CommandOption("-a|--assignee <AGENT>")]
    [Description("Assigned to this agent (id, email or 'me').")]
    public string? Assignee { get; init; }

    [CommandOption("--unassigned")]
    [Description("Only tickets nobody is assigned to.")]
    public bool Unassigned { get; init; }

    [CommandOption("-r|--requester <USER>")]
    [Description("Asked by this customer (id, email or 'me').")]
    public string? Requester { get; init; }

    [CommandOption("-t|--tag <TAG>")]
    [Description("Having any of these tags (all of them with --all-tags).")]
    public string[]? Tags { get; init; }

    [CommandOption("--all-tags")]
    [Description("Require every --tag.")]
    public bool AllTags { get; init; }

    [CommandOption("--subject <TEXT>")]
    [Description("Subject contains this text (case-insensitive).")]
    public string? Subject { get; init; }

    [CommandOption("--metadata <JSON>")]
    [Description("Metadata contains this JSON object, e.g. '{\"plan\":\"pro\"}'.")]
    public string? Metadata { get; init; }

    [CommandOption("--created-from <TIME>")]
    public string? CreatedFrom { get; init; }

    [CommandOption("--created-to <TIME>")]
    public string? CreatedTo { get; init; }

    [CommandOption("--updated-from <TIME>")]
    public string? UpdatedFrom { get; init; }

    [CommandOption("--updated-to <TIME>")]
    public string? UpdatedTo { get; init; }

    [CommandOption("--sort <KEY>")]
    [Description("created (default), updated or priority.")]
    public string? Sort { get; init; }

    [CommandOption("--desc")]
    [Description("Newest (or most urgent) first.")]
    public bool Descending { get; init; }

    [CommandOption("-n|--limit <N>")]
    [Description("At most this many tickets (default 50; 0 for all).")]
    [DefaultValue(50)]
    public int Limit { get; init; } = 50;

    public override ValidationResult Validate() =>
        Limit < 0 ? ValidationResult.Error("--limit must be 0 or more") : ValidationResult.Success();
}

/// <summary><c>autocrm tickets list</c>.</summary>
internal sealed class TicketsListCommand(CliEnvironment environment) : CrmCommand<TicketsListSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketsListSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        System.Text.Json.Nodes.JsonObject? metadata = null;
        if (s.Metadata is not null)
        {
            try
            {
                metadata = System.Text.Json.Nodes.JsonNode.Parse(s.Metadata) as System.Text.Json.Nodes.JsonObject
                    ?? throw new UsageException("--metadata must be a JSON object");
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new UsageException("--metadata is not valid JSON: " + ex.Message, ex);
            }
        }

        var query = new TicketQuery
        {
            Statuses = Arguments.ParseEnumList<TicketStatus>(s.Status, "--status"),
            Priorities = Arguments.ParseEnumList<TicketPriority>(s.Priority, "--priority"),
            QueueId = s.Queue is null ? null : (await Arguments.QueueAsync(crm, s.Queue, cancellationToken).ConfigureAwait(false)).Id,
            AssigneeId = s.Assignee is null ? null : await Arguments.UserIdAsync(crm, s.Assignee, cancellationToken).ConfigureAwait(false),
            Unassigned = s.Unassigned,
            RequesterId = s.Requester is null ? null : await Arguments.UserIdAsync(crm, s.Requester, cancellationToken).ConfigureAwait(false),
            TagsAny = s.AllTags ? null : s.Tags,
            TagsAll = s.AllTags ? s.Tags : null,
            SubjectContains = s.Subject,
            MetadataContains = metadata is null ? null : AutoCrm.Sdk.CrmMetadata.From(metadata),
            CreatedFrom = Arguments.ParseTime(s.CreatedFrom, "--created-from"),
            CreatedTo = Arguments.ParseTime(s.CreatedTo, "--created-to"),
            UpdatedFrom = Arguments.ParseTime(s.UpdatedFrom, "--updated-from"),
            UpdatedTo = Arguments.ParseTime(s.UpdatedTo, "--updated-to"),
            Sort = s.Sort is null ? TicketSort.Created : Arguments.ParseEnum<TicketSort>(s.Sort, "--sort"),
            Descending = s.Descending,
            PageSize = s.Limit is > 0 and < 1000 ? s.Limit : 100,
        };

        var tickets = new List<Ticket>();
        await foreach (var ticket in crm.Tickets.ListAsync(query).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            tickets.Add(ticket);
            if (s.Limit > 0 && tickets.Count >= s.Limit)
            {
                break;
            }
        }

        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, tickets);
        }
        else if (tickets.Count == 0)
        {
            Console.MarkupLine("[grey]No tickets.[/]");
        }
        else
        {
            var rendering = await TicketRendering.LoadAsync(crm, cancellationToken).ConfigureAwait(false);
            Console.Write(rendering.List(tickets));
        }

        return ExitCodes.Success;
    }
}

internal class TicketRefSettings : ReadSettings
{
    [CommandArgument(0, "<TICKET>")]
    [Description("Ticket id (uuid) or number (42 or #42).")]
    public string Ticket { get; init; } = "";
}

/// <summary><c>autocrm tickets show</c>: the ticket, its conversation (internal notes only for agents) and history.</summary>
internal sealed class TicketsShowCommand(CliEnvironment environment) : CrmCommand<TicketRefSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketRefSettings s, CancellationToken cancellationToken)
    {
        var ticket = await Arguments.TicketAsync(target.Client, s.Ticket, TicketInclude.Conversation | TicketInclude.Events, cancellationToken).ConfigureAwait(false);
        if (s.Json)
        {
            JsonOutput.WriteDocument(Environment.Out, ticket);
        }
        else
        {
            var people = new Guid?[] { ticket.RequesterId, ticket.AssigneeId }
                .Concat((ticket.ConversationHistory ?? []).Select(m => m.AuthorId))
                .Concat((ticket.Events ?? []).Select(e => e.ActorId));
            (await TicketRendering.LoadAsync(target.Client, cancellationToken, people).ConfigureAwait(false)).Show(Console, ticket);
        }

        return ExitCodes.Success;
    }
}

internal sealed class TicketsCreateSettings : ReadSettings
{
    [CommandOption("--subject <SUBJECT>")]
    [Description("Subject line (required).")]
    public string? Subject { get; init; }

    [CommandOption("-d|--description <TEXT>")]
    [Description("The first message.")]
    public string? Description { get; init; }

    [CommandOption("-p|--priority <PRIORITY>")]
    public string? Priority { get; init; }

    [CommandOption("-q|--queue <QUEUE>")]
    public string? Queue { get; init; }

    [CommandOption("-t|--tag <TAG>")]
    public string[]? Tags { get; init; }

    [CommandOption("-r|--requester <USER>")]
    [Description("The customer (id or email); needed with the service key.")]
    public string? Requester { get; init; }

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Subject) ? ValidationResult.Error("--subject is required") : ValidationResult.Success();
}

/// <summary><c>autocrm tickets create</c>.</summary>
internal sealed class TicketsCreateCommand(CliEnvironment environment) : CrmCommand<TicketsCreateSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketsCreateSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        var ticket = await crm.Tickets.CreateAsync(
            new NewTicket
            {
                Subject = s.Subject!,
                Description = s.Description,
                Priority = s.Priority is null ? null : Arguments.ParseEnum<TicketPriority>(s.Priority, "--priority"),
                QueueId = s.Queue is null ? null : (await Arguments.QueueAsync(crm, s.Queue, cancellationToken).ConfigureAwait(false)).Id,
                Tags = s.Tags,
                RequesterId = s.Requester is null ? null : await Arguments.UserIdAsync(crm, s.Requester, cancellationToken).ConfigureAwait(false),
            },
            cancellationToken).ConfigureAwait(false);
        TicketOutput.Changed(Environment, s, ticket, "Created");
        return ExitCodes.Success;
    }
}

internal sealed class TicketsUpdateSettings : TicketRefSettings
{
    [CommandOption("--subject <SUBJECT>")]
    public string? Subject { get; init; }

    [CommandOption("-s|--status <STATUS>")]
    public string? Status { get; init; }

    [CommandOption("-p|--priority <PRIORITY>")]
    public string? Priority { get; init; }

    [CommandOption("-a|--assignee <AGENT>")]
    [Description("Agent id, email or 'me'; 'none' to unassign.")]
    public string? Assignee { get; init; }

    [CommandOption("-q|--queue <QUEUE>")]
    [Description("Queue slug or id; 'none' to unqueue.")]
    public string? Queue { get; init; }

    [CommandOption("-t|--tag <TAG>")]
    [Description("Replace the tags with these.")]
    public string[]? Tags { get; init; }

    [CommandOption("--if-version <VERSION>")]
    [Description("Only if the ticket is still at this version (optimistic concurrency; exit 5 otherwise).")]
    public int? IfVersion { get; init; }
}

/// <summary><c>autocrm tickets update</c>.</summary>
internal sealed class TicketsUpdateCommand(CliEnvironment environment) : CrmCommand<TicketsUpdateSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketsUpdateSettings s, CancellationToken cancellationToken)
    {
        var crm = target.Client;
        var patch = new TicketPatch();
        if (s.Subject is not null)
        {
            patch = patch with { Subject = s.Subject };
        }

        if (s.Status is not null)
        {
            patch = patch with { Status = Arguments.ParseEnum<TicketStatus>(s.Status, "--status") };
        }

        if (s.Priority is not null)
        {
            patch = patch with { Priority = Arguments.ParseEnum<TicketPriority>(s.Priority, "--priority") };
        }

        if (s.Assignee is not null)
        {
            patch = patch with { AssigneeId = IsNone(s.Assignee) ? null : await Arguments.UserIdAsync(crm, s.Assignee, cancellationToken).ConfigureAwait(false) };
        }

        if (s.Queue is not null)
        {
            patch = patch with { QueueId = IsNone(s.Queue) ? null : (await Arguments.QueueAsync(crm, s.Queue, cancellationToken).ConfigureAwait(false)).Id };
        }

        if (s.Tags is not null)
        {
            patch = patch with { Tags = s.Tags };
        }

        if (patch.IsEmpty)
        {
            throw new UsageException("nothing to change: give at least one of --subject, --status, --priority, --assignee, --queue, --tag");
        }

        var id = await Arguments.TicketIdAsync(crm, s.Ticket, cancellationToken).ConfigureAwait(false);
        var ticket = await crm.Tickets.UpdateAsync(id, patch, s.IfVersion, cancellationToken).ConfigureAwait(false);
        TicketOutput.Changed(Environment, s, ticket, "Updated");
        return ExitCodes.Success;
    }

    private static bool IsNone(string value) => string.Equals(value, "none", StringComparison.OrdinalIgnoreCase);
}

internal sealed class TicketMessageSettings : TicketRefSettings
{
    [CommandArgument(1, "<BODY>")]
    [Description("The message text.")]
    public string Body { get; init; } = "";
}

/// <summary><c>autocrm tickets reply</c>: a public message.</summary>
internal sealed class TicketsReplyCommand(CliEnvironment environment) : CrmCommand<TicketMessageSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketMessageSettings s, CancellationToken cancellationToken)
    {
        var id = await Arguments.TicketIdAsync(target.Client, s.Ticket, cancellationToken).ConfigureAwait(false);
        var message = await target.Client.Tickets.ReplyAsync(id, s.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        TicketOutput.Message(Environment, s, message, "Replied");
        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm tickets note</c>: an internal note customers never see.</summary>
internal sealed class TicketsNoteCommand(CliEnvironment environment) : CrmCommand<TicketMessageSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketMessageSettings s, CancellationToken cancellationToken)
    {
        var id = await Arguments.TicketIdAsync(target.Client, s.Ticket, cancellationToken).ConfigureAwait(false);
        var message = await target.Client.Tickets.AddInternalNoteAsync(id, s.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        TicketOutput.Message(Environment, s, message, "Noted");
        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm tickets close</c>.</summary>
internal sealed class TicketsCloseCommand(CliEnvironment environment) : CrmCommand<TicketRefSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketRefSettings s, CancellationToken cancellationToken)
    {
        var id = await Arguments.TicketIdAsync(target.Client, s.Ticket, cancellationToken).ConfigureAwait(false);
        var ticket = await target.Client.Tickets.UpdateAsync(id, new TicketPatch { Status = TicketStatus.Closed }, cancellationToken: cancellationToken).ConfigureAwait(false);
        TicketOutput.Changed(Environment, s, ticket, "Closed");
        return ExitCodes.Success;
    }
}

/// <summary><c>autocrm tickets reopen</c>.</summary>
internal sealed class TicketsReopenCommand(CliEnvironment environment) : CrmCommand<TicketRefSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, TicketRefSettings s, CancellationToken cancellationToken)
    {
        var id = await Arguments.TicketIdAsync(target.Client, s.Ticket, cancellationToken).ConfigureAwait(false);
        var ticket = await target.Client.Tickets.UpdateAsync(id, new TicketPatch { Status = TicketStatus.Open }, cancellationToken: cancellationToken).ConfigureAwait(false);
        TicketOutput.Changed(Environment, s, ticket, "Reopened");
        return ExitCodes.Success;
    }
}

/// <summary>What write commands print: the ticket as JSON, or one line.</summary>
internal static class TicketOutput
{
    internal static void Changed(CliEnvironment environment, ReadSettings settings, Ticket ticket, string verb)
    {
        if (settings.Json)
        {
            JsonOutput.WriteDocument(environment.Out, ticket);
            return;
        }

        environment.Console.MarkupLine($"{verb} ticket [bold]#{ticket.Number}[/] [grey]{ticket.Id}[/]: {Markup.Escape(ticket.Subject)} ({TicketRendering.StatusMarkup(ticket.Status)}, {TicketRendering.PriorityMarkup(ticket.Priority)})");
    }

    internal static void Message(CliEnvironment environment, ReadSettings settings, TicketMessage message, string verb)
    {
        if (settings.Json)
        {
            JsonOutput.WriteDocument(environment.Out, message);
            return;
        }

        environment.Console.MarkupLineInterpolated($"{verb} on ticket {message.TicketId} (message {message.Id}, {message.Visibility.ToString().ToLowerInvariant()}).");
    }
}
