using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Automation;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>One dry-run line: a recent ticket and what the rule would do to it (<see langword="null"/>: it would not fire).</summary>
public sealed record RulePreviewRow(Ticket Ticket, RuleFiring? Firing, string Stopped);

/// <summary>
/// Creates or edits a rule with rows of conditions and actions, and previews it: which of the last tickets it would match
/// and what it would do to each, through the database's dry run (<c>crm.Automations.TestAsync</c> with the unsaved rule),
/// which writes nothing. A rule the database refuses comes back with its message next to the form, as the user left it.
/// </summary>
public sealed class AdminRuleEditModel(UserCrm user) : PageModel
{
    /// <summary>The most tickets a preview tries (one dry run each).</summary>
    public const int MaxPreview = 50;

    [FromRoute]
    public Guid? Id { get; set; }

    public string Name { get; private set; } = "";

    public string Description { get; private set; } = "";

    public string Event { get; private set; } = "ticket_created";

    public bool Active { get; private set; } = true;

    /// <summary>For <c>time_elapsed</c> rules: the moment the timer counts from (<c>status_changed</c>, …).</summary>
    public string TimerSince { get; private set; } = "";

    /// <summary>For <c>time_elapsed</c> rules: the minutes after that moment, as typed.</summary>
    public string TimerMinutes { get; private set; } = "";

    public int Last { get; private set; } = 20;

    public IReadOnlyList<ConditionRow> ConditionRows { get; private set; } = [];

    public IReadOnlyList<ActionRow> ActionRows { get; private set; } = [];

    public AutomationVocabulary? Vocabulary { get; private set; }

    public string? Problem { get; private set; }

    public IReadOnlyList<RulePreviewRow>? Preview { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Vocabulary = await AutomationVocabulary.LoadAsync(crm, cancellationToken);
        if (Id is { } id)
        {
            var rule = await crm.Automations.GetAsync(id, cancellationToken);
            Name = rule.Name;
            Description = rule.Description;
            Event = AutomationVocabulary.Spell(rule.Event);
            Active = rule.Active;
            TimerSince = rule.Timer is { } timer ? AutomationVocabulary.Spell(timer.Since) : "";
            TimerMinutes = rule.Timer?.Minutes.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
            ConditionRows = AutomationForm.Rows(rule.Conditions, Vocabulary);
            ActionRows = AutomationForm.Rows(rule.Actions, Vocabulary);
        }
    }

    public async Task<IActionResult> OnPostSaveAsync(CancellationToken cancellationToken)
    {
        var crm = await ReadPostedAsync(cancellationToken);
        try
        {
            var (conditions, actions, ruleEvent) = Build();
            var timer = Timer(ruleEvent);
            if (Id is { } id)
            {
                await crm.Automations.UpdateAsync(
                    id,
                    new AutomationRulePatch { Name = Name, Description = Description, Event = ruleEvent, Timer = timer, Active = Active, Conditions = conditions, Actions = actions },
                    cancellationToken);
            }
            else
            {
                var rules = await crm.Automations.ListAsync(cancellationToken).ToListAsync(cancellationToken);
                await crm.Automations.CreateAsync(
                    new NewAutomationRule
                    {
                        Name = Name,
                        Description = Description.Length > 0 ? Description : null,
                        Event = ruleEvent,
                        Timer = timer,
                        Active = Active,
                        Conditions = conditions,
                        Actions = actions,
                        Position = rules.Count == 0 ? AdminRulesModel.PositionStep : rules.Max(r => r.Position) + AdminRulesModel.PositionStep,
                    },
                    cancellationToken);
            }
        }
        catch (Exception ex) when (AutomationForm.Problem(ex) is { } problem)
        {
            Problem = problem;
            return Page();
        }

        TempData["Notice"] = $"Rule \"{Name}\" saved.";
        return Redirect("/admin/rules");
    }

    /// <summary>The dry run of the rule as the form stands (saved or not) against the most recent tickets.</summary>
    public async Task<IActionResult> OnPostPreviewAsync([FromForm] int last, CancellationToken cancellationToken)
    {
        var crm = await ReadPostedAsync(cancellationToken);
        Last = Math.Clamp(last, 1, MaxPreview);
        try
        {
            var (conditions, actions, ruleEvent) = Build();
            var rule = new NewAutomationRule { Name = Name.Length > 0 ? Name : "this rule", Event = ruleEvent, Conditions = conditions, Actions = actions };
            var recent = new List<Ticket>();
            await foreach (var ticket in crm.Tickets.ListAsync(new TicketQuery { Sort = TicketSort.Created, Descending = true, PageSize = Last }, cancellationToken))
            {
                recent.Add(ticket);
                if (recent.Count == Last)
                {
                    break;
                }
            }

            var rows = new List<RulePreviewRow>();
            foreach (var ticket in recent)
            {
                var result = await crm.Automations.TestAsync(ticket.Id, new RuleTest { Event = ruleEvent, Rules = [rule] }, cancellationToken);
                rows.Add(new RulePreviewRow(ticket, result.Fired.FirstOrDefault(), string.Join("; ", result.Stopped.Select(s => s.Reason))));
            }

            Preview = rows;
        }
        catch (Exception ex) when (AutomationForm.Problem(ex) is { } problem)
        {
            Problem = problem;
        }

        return Page();
    }

    private async Task<CrmClient> ReadPostedAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Vocabulary = await AutomationVocabulary.LoadAsync(crm, cancellationToken);
        var form = Request.Form;
        Name = form["Name"].ToString().Trim();
        Description = form["Description"].ToString().Trim();
        Event = form["Event"].ToString();
        Active = form["Active"].Contains("true");
        TimerSince = form["TimerSince"].ToString();
        TimerMinutes = form["TimerMinutes"].ToString().Trim();
        ConditionRows = AutomationForm.PostedConditions(form);
        ActionRows = AutomationForm.PostedActions(form);
        return crm;
    }

    /// <summary>
    /// The timer of a <c>time_elapsed</c> rule as the form stands; none for the other events, so that a rule moved to another
    /// event loses it (an empty timer of a time rule is sent as none, and the database says that it needs one).
    /// </summary>
    private RuleTimer? Timer(RuleEvent ruleEvent)
    {
        if (ruleEvent != RuleEvent.TimeElapsed || (TimerSince.Length == 0 && TimerMinutes.Length == 0))
        {
            return null;
        }

        var since = Enum.GetValues<RuleTimerMoment>().Select(m => (RuleTimerMoment?)m).FirstOrDefault(m => AutomationVocabulary.Spell(m!.Value) == TimerSince)
            ?? throw new AutomationFormException($"Timer: \"{TimerSince}\" is not a moment; use one of {string.Join(", ", AutomationVocabulary.TimerMoments)}.");
        return int.TryParse(TimerMinutes, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var minutes)
            ? new RuleTimer { Since = since, Minutes = minutes }
            : throw new AutomationFormException($"Timer: \"{TimerMinutes}\" is not a whole number of minutes.");
    }

    private (TicketConditions Conditions, IReadOnlyList<TicketAction> Actions, RuleEvent Event) Build()
    {
        var ruleEvent = Enum.GetValues<RuleEvent>().Select(e => (RuleEvent?)e).FirstOrDefault(e => AutomationVocabulary.Spell(e!.Value) == Event)
            ?? throw new AutomationFormException($"\"{Event}\" is not an event.");
        return (AutomationForm.Conditions(ConditionRows, Vocabulary!), AutomationForm.Actions(ActionRows, Vocabulary!), ruleEvent);
    }
}
