using AutoCrm.Sdk;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Reports;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Search;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Agent;

/// <summary>The agent's start page: the queues they can see, with counts, the tickets assigned to them, and their saved
/// views (own and shared) with live counts.</summary>
public sealed class AgentHomeModel(UserCrm user) : PageModel
{
    public IReadOnlyList<QueueStats> Stats { get; private set; } = [];

    public IReadOnlyList<Ticket> Mine { get; private set; } = [];

    public IReadOnlyList<SavedViewCount> Views { get; private set; } = [];

    /// <summary>The signed-in agent's own numbers over the last 30 days (her facts in her queues); null if the report
    /// could not be read (the workspace still works).</summary>
    public ReportSummary? MyStats { get; private set; }

    public const int MyStatsDays = 30;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Stats = await crm.Queues.GetStatsAsync(cancellationToken);
        var mine = new List<Ticket>();
        var query = new TicketQuery { AssigneeId = user.UserId, Statuses = Display.Active, Sort = TicketSort.Priority, Descending = true };
        await foreach (var ticket in crm.Tickets.ListAsync(query).WithCancellation(cancellationToken))
        {
            mine.Add(ticket);
            if (mine.Count == 100)
            {
                break;
            }
        }

        Mine = mine;
        Views = await SavedViewCounts.LoadAsync(crm, user.UserId, User.IsInRole("admin"), cancellationToken);
        try
        {
            var now = DateTimeOffset.UtcNow;
            MyStats = await crm.Reports.GetSummaryAsync(now.AddDays(-MyStatsDays), now, agentId: user.UserId, cancellationToken: cancellationToken);
        }
        catch (CrmException ex) when (!ex.IsTransient && ex is not CrmAuthException)
        {
            MyStats = null;
        }
    }
}
