using AutoCrm.Sdk;
using AutoCrm.Sdk.Automation;
using AutoCrm.WebHost.Automation;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>
/// Macros: actions and a reply template that agents apply to a ticket from its page. The database checks each macro
/// when it is saved (its message is shown next to the form, which keeps what the user typed) and decides who may use it.
/// </summary>
public sealed class AdminMacrosModel(UserCrm user) : PageModel
{
    [FromQuery(Name = "edit")]
    public Guid? EditId { get; set; }

    public IReadOnlyList<Macro> Macros { get; private set; } = [];

    public AutomationVocabulary? Vocabulary { get; private set; }

    public string Name { get; private set; } = "";

    public string Description { get; private set; } = "";

    public string Reply { get; private set; } = "";

    public bool Shared { get; private set; } = true;

    public IReadOnlyList<ActionRow> ActionRows { get; private set; } = [];

    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        if (EditId is { } id && Macros.FirstOrDefault(m => m.Id == id) is { } macro)
        {
            Name = macro.Name;
            Description = macro.Description;
            Reply = macro.Reply ?? "";
            Shared = macro.Shared;
            ActionRows = AutomationForm.Rows(macro.Actions, Vocabulary!);
        }
    }

    public async Task<IActionResult> OnPostSaveAsync([FromForm] Guid? editId, CancellationToken cancellationToken)
    {
        var crm = await LoadAsync(cancellationToken);
        EditId = editId;
        var form = Request.Form;
        Name = form["Name"].ToString().Trim();
        Description = form["Description"].ToString().Trim();
        Reply = form["Reply"].ToString().Trim();
        Shared = form["Shared"].Contains("true");
        ActionRows = AutomationForm.PostedActions(form);
        try
        {
            var actions = AutomationForm.Actions(ActionRows, Vocabulary!);
            if (editId is { } id)
            {
                await crm.Macros.UpdateAsync(
                    id, new MacroPatch { Name = Name, Description = Description, Actions = actions, Reply = Reply.Length > 0 ? Reply : null, Shared = Shared }, cancellationToken);
            }
            else
            {
                await crm.Macros.CreateAsync(
                    new NewMacro
                    {
                        Name = Name,
                        Description = Description.Length > 0 ? Description : null,
                        Actions = actions,
                        Reply = Reply.Length > 0 ? Reply : null,
                        Shared = Shared,
                    },
                    cancellationToken);
            }
        }
        catch (Exception ex) when (AutomationForm.Problem(ex) is { } problem)
        {
            Problem = problem;
            return Page();
        }

        TempData["Notice"] = $"Macro \"{Name}\" saved.";
        return Redirect("/admin/macros");
    }

    public async Task<IActionResult> OnPostDeleteAsync([FromForm] Guid id, CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            await crm.Macros.DeleteAsync(id, cancellationToken);
            TempData["Notice"] = "Macro deleted.";
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500 and not 401)
        {
            TempData["Error"] = ex.Message;
        }

        return Redirect("/admin/macros");
    }

    private async Task<CrmClient> LoadAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Vocabulary = await AutomationVocabulary.LoadAsync(crm, cancellationToken);
        Macros = await crm.Macros.ListAsync(cancellationToken).ToListAsync(cancellationToken);
        return crm;
    }
}
