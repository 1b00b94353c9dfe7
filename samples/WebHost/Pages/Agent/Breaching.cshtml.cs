using AutoCrm.Sdk;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Agent;

/// <summary>The running SLA targets the agent can see, due soonest first (one indexed page).</summary>
public sealed record BreachingSoon(IReadOnlyList<Ticket> Tickets, IReadOnlyDictionary<Guid, string> Names)
{
    public const int Size = 50;

    public static async Task<BreachingSoon> LoadAsync(CrmClient crm, CancellationToken cancellationToken)
    {
        var page = await crm.Tickets.ListAsync(new TicketQuery { Sort = TicketSort.SlaDue, PageSize = Size }, cancellationToken)
            .AsPages().FirstAsync(cancellationToken);
        var names = StaffProfiles.Names(await StaffProfiles.ListAsync(crm, cancellationToken));
        return new BreachingSoon(page.Items, names);
    }
}

/// <summary>"Breaching soon": live, re-read whenever a breach is recorded or a ticket's status changes.</summary>
public sealed class BreachingSoonModel(UserCrm user) : PageModel
{
    public BreachingSoon List { get; private set; } = new([], new Dictionary<Guid, string>());

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        List = await BreachingSoon.LoadAsync(await user.GetAsync(cancellationToken), cancellationToken);

    public async Task<IActionResult> OnGetListAsync(CancellationToken cancellationToken) =>
        Partial("_Breaching", await BreachingSoon.LoadAsync(await user.GetAsync(cancellationToken), cancellationToken));
}
