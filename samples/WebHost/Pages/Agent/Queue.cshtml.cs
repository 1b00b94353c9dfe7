using AutoCrm.Sdk;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Agent;

/// <summary>The active tickets of one queue, as the agent may see them.</summary>
public sealed record QueueBoard(Queue Queue, IReadOnlyList<Ticket> Tickets, IReadOnlyDictionary<Guid, string> Names)
{
    public static async Task<QueueBoard> LoadAsync(CrmClient crm, string slug, CancellationToken cancellationToken)
    {
        var queue = await crm.Queues.GetBySlugAsync(slug, cancellationToken);
        var tickets = new List<Ticket>();
        var query = new TicketQuery { QueueId = queue.Id, Statuses = Display.Active, Sort = TicketSort.Created };
        await foreach (var ticket in crm.Tickets.ListAsync(query).WithCancellation(cancellationToken))
        {
            tickets.Add(ticket);
            if (tickets.Count == 200)
            {
                break;
            }
        }

        // The board names assignees only, who are staff.
        var names = StaffProfiles.Names(await StaffProfiles.ListAsync(crm, cancellationToken));
        return new QueueBoard(queue, tickets, names);
    }
}

/// <summary>A live queue board: the page subscribes to the queue's events and re-fetches the board fragment on each.</summary>
public sealed class QueueBoardModel(UserCrm user) : PageModel
{
    [FromRoute]
    public string Slug { get; set; } = "";

    public QueueBoard? Board { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Board = await QueueBoard.LoadAsync(await user.GetAsync(cancellationToken), Slug, cancellationToken);

    public async Task<IActionResult> OnGetBoardAsync(CancellationToken cancellationToken) =>
        Partial("_Board", await QueueBoard.LoadAsync(await user.GetAsync(cancellationToken), Slug, cancellationToken));

    /// <summary>Claims the most urgent, oldest unassigned ticket of this queue (the database skips ones being claimed).</summary>
    public async Task<IActionResult> OnPostClaimNextAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        var queue = await crm.Queues.GetBySlugAsync(Slug, cancellationToken);
        var ticket = await crm.Queues.ClaimNextAsync(queue.Id, cancellationToken);
        if (ticket is null)
        {
            TempData["Notice"] = "Nothing to claim in this queue.";
            return Redirect($"/agent/queues/{Uri.EscapeDataString(Slug)}");
        }

        TempData["Notice"] = $"You claimed #{ticket.Number}.";
        return Redirect($"/tickets/{ticket.Number}");
    }
}
