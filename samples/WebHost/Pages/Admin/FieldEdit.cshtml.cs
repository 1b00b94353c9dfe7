using AutoCrm.Sdk;
using AutoCrm.Sdk.Fields;
using AutoCrm.WebHost.CustomFields;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>The editable part of a field definition, as the form shows and posts it (an empty input binds as
/// <see langword="null"/>).</summary>
public sealed record FieldEditForm
{
    public string? Label { get; init; }

    public string? Description { get; init; }

    /// <summary>One option a line: <c>value</c>, or <c>value | Label</c>.</summary>
    public string? Options { get; init; }

    public string? Pattern { get; init; }

    public bool CustomerVisible { get; init; }

    public bool CustomerEditable { get; init; }

    public bool RequiredForCustomers { get; init; }

    public bool RequiredForAgents { get; init; }

    public bool RequiredToSolve { get; init; }

    public static FieldEditForm From(TicketField field) => new()
    {
        Label = field.Label,
        Description = field.Description,
        Options = FieldOptionsText.Format(field.Options),
        Pattern = field.Pattern,
        CustomerVisible = field.CustomerVisible,
        CustomerEditable = field.CustomerEditable,
        RequiredForCustomers = field.RequiredForCustomers,
        RequiredForAgents = field.RequiredForAgents,
        RequiredToSolve = field.RequiredToSolve,
    };
}

/// <summary>
/// Edits an existing field definition: label, description, options, pattern, visibility and required rules (key and type
/// cannot change). The database decides what may change once tickets have values and checks the new definition; when it
/// refuses, the form comes back as the admin filled it in, with the database's message next to it.
/// </summary>
public sealed class AdminFieldEditModel(UserCrm user) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string Key { get; set; } = "";

    public TicketFieldType Type { get; private set; }

    public FieldEditForm Form { get; private set; } = new();

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var field = await FindAsync(cancellationToken);
        if (field is null)
        {
            return NotFound();
        }

        Type = field.Type;
        Form = FieldEditForm.From(field);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] FieldEditForm form, CancellationToken cancellationToken)
    {
        var field = await FindAsync(cancellationToken);
        if (field is null)
        {
            return NotFound();
        }

        Type = field.Type;
        Form = form;
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            await crm.Fields.UpdateAsync(Key, new TicketFieldPatch
            {
                Label = form.Label?.Trim() ?? "",
                Description = form.Description?.Trim() ?? "",
                Options = field.Type is TicketFieldType.Dropdown or TicketFieldType.Multiselect ? FieldOptionsText.Parse(form.Options) : null,
                Pattern = field.Type == TicketFieldType.Regex ? form.Pattern?.Trim() ?? "" : null,

                // Filling in implies seeing, and a field required for customers is one they fill in (the database
                // refuses the other combinations; the form spares the admin the round trip, as the new-field form does).
                CustomerVisible = form.CustomerVisible || form.CustomerEditable || form.RequiredForCustomers,
                CustomerEditable = form.CustomerEditable || form.RequiredForCustomers,
                RequiredForCustomers = form.RequiredForCustomers,
                RequiredForAgents = form.RequiredForAgents,
                RequiredToSolve = form.RequiredToSolve,
            }, cancellationToken);
        }
        catch (CrmException ex) when (ex is CrmValidationException || ex.Status is >= 400 and < 500 and not 401)
        {
            // The database's sentence (or the SDK's, for a value it refuses before sending), beside the form.
            Error = ex.Message;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        TempData["Notice"] = $"Field \"{Key}\" saved.";
        return Redirect("/admin/fields");
    }

    private async Task<TicketField?> FindAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        try
        {
            return await crm.Fields.GetAsync(Key, cancellationToken);
        }
        catch (CrmNotFoundException)
        {
            return null;
        }
        catch (CrmValidationException)
        {
            // Not a key at all (the SDK checks its shape before asking).
            return null;
        }
    }
}
