using System.Globalization;
using AutoCrm.Sdk.Sla;
using AutoCrm.WebHost.Automation;
using AutoCrm.WebHost.Sessions;
using AutoCrm.WebHost.Sla;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>
/// Creates or edits an SLA policy: position, conditions (the automation rules' rows), minutes per priority and metric,
/// and the calendar they are counted in. A policy the database refuses comes back with its message beside the form.
/// </summary>
public sealed class AdminSlaPolicyModel(UserCrm user) : PageModel
{
    [FromRoute]
    public Guid? Id { get; set; }

    public string Name { get; private set; } = "";

    public string Position { get; private set; } = "";

    public bool Active { get; private set; } = true;

    public Guid? CalendarId { get; private set; }

    public IReadOnlyDictionary<string, SlaTargets> Targets { get; private set; } = new Dictionary<string, SlaTargets>();

    /// <summary>The target cells as posted (kept as typed when the form comes back with a problem).</summary>
    public IReadOnlyDictionary<string, string>? PostedTargets { get; private set; }

    public IReadOnlyList<ConditionRow> ConditionRows { get; private set; } = [];

    public IReadOnlyList<BusinessCalendar> Calendars { get; private set; } = [];

    public AutomationVocabulary? Vocabulary { get; private set; }

    public string? Problem { get; private set; }

    /// <summary>What a target cell shows.</summary>
    public string Cell(string priority, string metric) =>
        PostedTargets is { } posted ? posted.GetValueOrDefault(SlaForm.TargetInput(priority, metric), "") : SlaForm.TargetCell(Targets, priority, metric);

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Vocabulary = await AutomationVocabulary.LoadAsync(crm, cancellationToken);
        Calendars = await crm.Sla.ListCalendarsAsync(cancellationToken).ToListAsync(cancellationToken);
        if (Id is { } id)
        {
            var policy = await crm.Sla.GetPolicyAsync(id, cancellationToken);
            Name = policy.Name;
            Position = policy.Position.ToString(CultureInfo.InvariantCulture);
            Active = policy.Active;
            CalendarId = policy.BusinessHoursId;
            Targets = policy.Targets;
            ConditionRows = AutomationForm.Rows(policy.Conditions, Vocabulary);
        }
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Vocabulary = await AutomationVocabulary.LoadAsync(crm, cancellationToken);
        Calendars = await crm.Sla.ListCalendarsAsync(cancellationToken).ToListAsync(cancellationToken);
        var form = Request.Form;
        Name = form["Name"].ToString().Trim();
        Position = form["Position"].ToString().Trim();
        Active = form["Active"].Contains("true");
        CalendarId = Guid.TryParse(form["CalendarId"].ToString(), out var calendar) ? calendar : null;
        ConditionRows = AutomationForm.PostedConditions(form);
        var posted = SlaForm.Priorities.SelectMany(p => SlaForm.Metrics.Select(m => SlaForm.TargetInput(p, m)))
            .ToDictionary(n => n, n => form[n].ToString(), StringComparer.Ordinal);
        PostedTargets = posted;
        try
        {
            int? position = Position.Length == 0 ? null
                : int.TryParse(Position, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p) ? p
                : throw new SlaFormException($"Position: \"{Position}\" is not a whole number.");
            var targets = SlaForm.Targets(n => posted[n]);
            var conditions = AutomationForm.Conditions(ConditionRows, Vocabulary);
            if (Id is { } id)
            {
                // BusinessHoursId is always sent: null moves the policy to calendar time.
                await crm.Sla.UpdatePolicyAsync(
                    id,
                    new SlaPolicyPatch { Name = Name, Position = position, Active = Active, Conditions = conditions, Targets = targets, BusinessHoursId = CalendarId },
                    cancellationToken);
            }
            else
            {
                var policies = await crm.Sla.ListPoliciesAsync(cancellationToken).ToListAsync(cancellationToken);
                await crm.Sla.CreatePolicyAsync(
                    new NewSlaPolicy
                    {
                        Name = Name,
                        Position = position ?? (policies.Count == 0 ? AdminRulesModel.PositionStep : policies.Max(x => x.Position) + AdminRulesModel.PositionStep),
                        Active = Active,
                        Conditions = conditions,
                        Targets = targets,
                        BusinessHoursId = CalendarId,
                    },
                    cancellationToken);
            }
        }
        catch (Exception ex) when (SlaForm.Problem(ex) is { } problem)
        {
            Problem = problem;
            return Page();
        }

        TempData["Notice"] = $"Policy \"{Name}\" saved.";
        return Redirect("/admin/sla");
    }
}
