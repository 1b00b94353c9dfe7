using AutoCrm.ConsoleHost.Cli;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;
using Spectre.Console;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary>Tables for tickets, with queue slugs and user emails looked up once.</summary>
internal sealed class TicketRendering
{
    private readonly Dictionary<Guid, string> _queues;
    private readonly Dictionary<Guid, string> _users;

    private TicketRendering(Dictionary<Guid, string> queues, Dictionary<Guid, string> users)
    {
        _queues = queues;
        _users = users;
    }

    /// <summary>Queue slugs, and the emails of the staff and of <paramref name="others"/>: never every profile (a large customer base
    /// is tens of thousands, and the API returns at most its row limit).</summary>
    internal static async Task<TicketRendering> LoadAsync(CrmClient crm, CancellationToken cancellationToken, params IEnumerable<Guid?> others)
    {
        var queues = new Dictionary<Guid, string>();
        var users = new Dictionary<Guid, string>();
        try
        {
            foreach (var q in await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false))
            {
                queues[q.Id] = q.Slug;
            }

            foreach (var role in new[] { UserRole.Agent, UserRole.Admin })
            {
                foreach (var p in await crm.Profiles.ListAsync(role, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false))
                {
                    users[p.Id] = p.Email ?? p.DisplayName;
                }
            }

            var missing = others.OfType<Guid>().Where(id => !users.ContainsKey(id)).Distinct().ToArray();
            if (missing.Length > 0)
            {
                var rows = await crm.Rest.From("profiles").Select("id,email,display_name").In("id", missing).ToJsonAsync(cancellationToken).ConfigureAwait(false);
                foreach (var row in rows.EnumerateArray())
                {
                    users[row.GetProperty("id").GetGuid()] = row.GetProperty("email").GetString() ?? row.GetProperty("display_name").GetString() ?? "";
                }
            }
        }
        catch (CrmException)
        {
            // Names are a nicety: a caller who may not list profiles still gets the table, with ids.
        }

        return new TicketRendering(queues, users);
    }

    internal string Queue(Guid? id) => id is null ? "-" : _queues.GetValueOrDefault(id.Value, Short(id.Value));

    internal string User(Guid? id) => id is null ? "-" : _users.GetValueOrDefault(id.Value, Short(id.Value));

    internal static string Short(Guid id) => id.ToString()[..8];

    internal static string StatusMarkup(TicketStatus status) => status switch
    {
        TicketStatus.New => "[blue]new[/]",
        TicketStatus.Open => "[yellow]open[/]",
        TicketStatus.Pending => "[purple]pending[/]",
        TicketStatus.OnHold => "[grey]on_hold[/]",
        TicketStatus.Solved => "[green]solved[/]",
        TicketStatus.Closed => "[dim]closed[/]",
        _ => Markup.Escape(status.ToString()),
    };

    internal static string PriorityMarkup(TicketPriority priority) => priority switch
    {
        TicketPriority.Urgent => "[red bold]urgent[/]",
        TicketPriority.High => "[red]high[/]",
        TicketPriority.Low => "[grey]low[/]",
        _ => "normal",
    };

    internal Table List(IEnumerable<Ticket> tickets)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#").AddColumn("subject").AddColumn("status").AddColumn("priority").AddColumn("queue").AddColumn("assignee").AddColumn("updated");
        foreach (var t in tickets)
        {
            table.AddRow(
                t.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(t.Subject),
                StatusMarkup(t.Status),
                PriorityMarkup(t.Priority),
                Markup.Escape(Queue(t.QueueId)),
                Markup.Escape(User(t.AssigneeId)),
                t.UpdatedAt.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        }

        return table;
    }

    internal void Show(IAnsiConsole console, Ticket t)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[grey]ticket[/]", $"#{t.Number} [grey]{t.Id}[/]");
        grid.AddRow("[grey]subject[/]", Markup.Escape(t.Subject));
        grid.AddRow("[grey]status[/]", StatusMarkup(t.Status));
        grid.AddRow("[grey]priority[/]", PriorityMarkup(t.Priority));
        grid.AddRow("[grey]queue[/]", Markup.Escape(Queue(t.QueueId)));
        grid.AddRow("[grey]requester[/]", Markup.Escape(User(t.RequesterId)));
        grid.AddRow("[grey]assignee[/]", Markup.Escape(User(t.AssigneeId)));
        grid.AddRow("[grey]tags[/]", Markup.Escape(t.Tags.Count == 0 ? "-" : string.Join(", ", t.Tags)));
        grid.AddRow("[grey]version[/]", t.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        grid.AddRow("[grey]created[/]", t.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
        console.Write(grid);
        if (t.ConversationHistory is { Count: > 0 } messages)
        {
            console.Write(new Rule("conversation").LeftJustified());
            foreach (var m in messages)
            {
                var label = m.Visibility == MessageVisibility.Internal ? "[yellow]internal note[/]" : "reply";
                console.MarkupLine($"[grey]{m.CreatedAt:u}[/] [bold]{Markup.Escape(User(m.AuthorId))}[/] {label}");
                console.WriteLine("  " + m.Body.ReplaceLineEndings(System.Environment.NewLine + "  "));
            }
        }

        if (t.Events is { Count: > 0 } events)
        {
            console.Write(new Rule("history").LeftJustified());
            foreach (var e in events)
            {
                console.MarkupLine($"[grey]{e.CreatedAt:u}[/] {Markup.Escape(e.Kind.Value)} {Markup.Escape(string.Join(", ", e.Changes.Select(c => $"{c.Key}: {c.Value.Old} -> {c.Value.New}")))} [grey]by {Markup.Escape(User(e.ActorId))}[/]");
            }
        }
    }
}
