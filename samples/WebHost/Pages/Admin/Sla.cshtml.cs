using AutoCrm.Sdk.Sla;
using AutoCrm.WebHost.Automation;
using AutoCrm.WebHost.Sessions;
using AutoCrm.WebHost.Sla;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>SLA policies in the order they are tried, and the business-hours calendars they count in.</summary>
public sealed class AdminSlaModel(UserCrm user) : PageModel
{
    public IReadOnlyList<SlaPolicy> Policies { get; private set; } = [];

    public IReadOnlyList<BusinessCalendar> Calendars { get; private set; } = [];

    public AutomationVocabulary? Vocabulary { get; private set; }

    public string CalendarName(Guid? id) =>
        id is null ? "calendar time" : Calendars.FirstOrDefault(c => c.Id == id)?.Name ?? "a calendar you cannot read";

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Vocabulary = await AutomationVocabulary.LoadAsync(crm, cancellationToken);
        Policies = await crm.Sla.ListPoliciesAsync(cancellationToken).ToListAsync(cancellationToken);
        Calendars = await crm.Sla.ListCalendarsAsync(cancellationToken).ToListAsync(cancellationToken);
    }

    public Task<IActionResult> OnPostDeletePolicyAsync([FromForm] Guid id, CancellationToken cancellationToken) =>
        DeleteAsync(crm => crm.Sla.DeletePolicyAsync(id, cancellationToken), "Policy deleted; the clocks it started keep their targets.", cancellationToken);

    public Task<IActionResult> OnPostDeleteCalendarAsync([FromForm] Guid id, CancellationToken cancellationToken) =>
        DeleteAsync(crm => crm.Sla.DeleteCalendarAsync(id, cancellationToken), "Calendar deleted.", cancellationToken);

    private async Task<IActionResult> DeleteAsync(Func<Sdk.CrmClient, Task> delete, string done, CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            await delete(crm);
            TempData["Notice"] = done;
        }
        catch (Exception ex) when (SlaForm.Problem(ex) is { } problem)
        {
            TempData["Error"] = problem;
        }

        return Redirect("/admin/sla");
    }
}
