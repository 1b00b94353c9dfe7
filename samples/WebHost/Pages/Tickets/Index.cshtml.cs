using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Tickets;

/// <summary>The tickets the signed-in user filed.</summary>
public sealed class MyTicketsModel(UserCrm user) : PageModel
{
    public IReadOnlyList<Ticket> Tickets { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        var list = new List<Ticket>();
        await foreach (var ticket in crm.Tickets.ListAsync(new TicketQuery { RequesterId = user.UserId, Sort = TicketSort.Updated, Descending = true })
            .WithCancellation(cancellationToken))
        {
            list.Add(ticket);
            if (list.Count == 100)
            {
                break;
            }
        }

        Tickets = list;
    }
}
