using AutoCrm.Sdk.Sla;
using AutoCrm.WebHost.Sessions;
using AutoCrm.WebHost.Sla;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>
/// Creates or edits a business-hours calendar: zone, weekly opening hours (one interval per line) and holidays. A
/// calendar the database refuses comes back with its message beside the form, as the admin left it.
/// </summary>
public sealed class AdminSlaCalendarModel(UserCrm user) : PageModel
{
    [FromRoute]
    public Guid? Id { get; set; }

    public string Name { get; private set; } = "";

    public string TimeZone { get; private set; } = "UTC";

    public string Intervals { get; private set; } = string.Join('\n',
        new[] { "monday", "tuesday", "wednesday", "thursday", "friday" }.Select(d => d + " 09:00-17:00"));

    public string Holidays { get; private set; } = "";

    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (Id is { } id)
        {
            var crm = await user.GetAsync(cancellationToken);
            var calendar = await crm.Sla.GetCalendarAsync(id, cancellationToken);
            Name = calendar.Name;
            TimeZone = calendar.TimeZone;
            Intervals = SlaForm.IntervalsText(calendar.Intervals);
            Holidays = SlaForm.HolidaysText(calendar.Holidays);
        }
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var form = Request.Form;
        Name = form["Name"].ToString().Trim();
        TimeZone = form["TimeZone"].ToString().Trim();
        Intervals = form["Intervals"].ToString();
        Holidays = form["Holidays"].ToString();
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            var intervals = SlaForm.Intervals(Intervals);
            var holidays = SlaForm.Holidays(Holidays);
            if (Id is { } id)
            {
                await crm.Sla.UpdateCalendarAsync(
                    id, new BusinessCalendarPatch { Name = Name, TimeZone = TimeZone, Intervals = intervals, Holidays = holidays }, cancellationToken);
            }
            else
            {
                await crm.Sla.CreateCalendarAsync(
                    new NewBusinessCalendar { Name = Name, TimeZone = TimeZone, Intervals = intervals, Holidays = holidays }, cancellationToken);
            }
        }
        catch (Exception ex) when (SlaForm.Problem(ex) is { } problem)
        {
            Problem = problem;
            return Page();
        }

        TempData["Notice"] = $"Calendar \"{Name}\" saved.";
        return Redirect("/admin/sla");
    }
}
