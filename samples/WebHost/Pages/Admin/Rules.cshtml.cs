using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.WebHost.Automation;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>
/// Automation rules in evaluation order: enable, disable, move up or down, delete. Row-level security lets only admins
/// read or write them; the page only offers it to them.
/// </summary>
public sealed class AdminRulesModel(UserCrm user) : PageModel
{
    /// <summary>Positions are spaced so that a new rule goes last and a move touches two rules.</summary>
    public const int PositionStep = 10;

    public IReadOnlyList<AutomationRule> Rules { get; private set; } = [];

    public AutomationVocabulary? Vocabulary { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Rules = await crm.Automations.ListAsync(cancellationToken).ToListAsync(cancellationToken);
        Vocabulary = await AutomationVocabulary.LoadAsync(crm, cancellationToken);
    }

    public Task<IActionResult> OnPostEnableAsync([FromForm] Guid id, CancellationToken cancellationToken) =>
        ActAsync(async crm => $"Rule \"{(await crm.Automations.EnableAsync(id, cancellationToken)).Name}\" enabled.");

    public Task<IActionResult> OnPostDisableAsync([FromForm] Guid id, CancellationToken cancellationToken) =>
        ActAsync(async crm => $"Rule \"{(await crm.Automations.DisableAsync(id, cancellationToken)).Name}\" disabled: it is kept but does not run.");

    public Task<IActionResult> OnPostDeleteAsync([FromForm] Guid id, CancellationToken cancellationToken) =>
        ActAsync(async crm =>
        {
            await crm.Automations.DeleteAsync(id, cancellationToken);
            return "Rule deleted; the history of the tickets it changed keeps its name.";
        });

    /// <summary>
    /// Moves a rule one place up or down: the two rules exchange positions. Rules that share a position (made elsewhere
    /// with the default 0) are spread out first, so the exchange always changes the order.
    /// </summary>
    public Task<IActionResult> OnPostMoveAsync([FromForm] Guid id, [FromForm] int by, CancellationToken cancellationToken) =>
        ActAsync(async crm =>
        {
            var rules = (await crm.Automations.ListAsync(cancellationToken).ToListAsync(cancellationToken)).ToList();
            var at = rules.FindIndex(r => r.Id == id);
            var to = at + Math.Sign(by);
            if (at < 0 || to < 0 || to >= rules.Count)
            {
                return "Order unchanged.";
            }

            if (rules.Select(r => r.Position).Distinct().Count() < rules.Count)
            {
                for (var i = 0; i < rules.Count; i++)
                {
                    if (rules[i].Position != (i + 1) * PositionStep)
                    {
                        rules[i] = await crm.Automations.UpdateAsync(rules[i].Id, new AutomationRulePatch { Position = (i + 1) * PositionStep }, cancellationToken);
                    }
                }
            }

            await crm.Automations.UpdateAsync(rules[at].Id, new AutomationRulePatch { Position = rules[to].Position }, cancellationToken);
            await crm.Automations.UpdateAsync(rules[to].Id, new AutomationRulePatch { Position = rules[at].Position }, cancellationToken);
            return "Order saved.";
        });

    private async Task<IActionResult> ActAsync(Func<CrmClient, Task<string>> action)
    {
        var crm = await user.GetAsync(HttpContext.RequestAborted);
        try
        {
            TempData["Notice"] = await action(crm);
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500 and not 401)
        {
            TempData["Error"] = ex.Message;
        }

        return Redirect("/admin/rules");
    }
}
