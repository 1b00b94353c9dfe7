using AutoCrm.Sdk;
using AutoCrm.Sdk.Fields;
using AutoCrm.WebHost.CustomFields;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>
/// Custom ticket fields: define, reorder, archive and restore (editing one is <see cref="AdminFieldEditModel"/>). The database allows it only to admins and checks every
/// definition (key, type, options, pattern); its refusal is shown as it comes.
/// </summary>
public sealed class AdminFieldsModel(UserCrm user) : PageModel
{
    public IReadOnlyList<TicketField> Fields { get; private set; } = [];

    public static IReadOnlyList<TicketFieldType> Types { get; } = Enum.GetValues<TicketFieldType>();

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Fields = await crm.Fields.ListAsync(includeArchived: true, cancellationToken).ToListAsync(cancellationToken);
    }

    public Task<IActionResult> OnPostCreateAsync(
        [FromForm] string? key,
        [FromForm] string? label,
        [FromForm] string? description,
        [FromForm] TicketFieldType type,
        [FromForm] string? options,
        [FromForm] string? pattern,
        [FromForm] bool customerVisible,
        [FromForm] bool customerEditable,
        [FromForm] bool requiredForCustomers,
        [FromForm] bool requiredForAgents,
        [FromForm] bool requiredToSolve,
        CancellationToken cancellationToken) =>
        ActAsync(
            crm => crm.Fields.CreateAsync(
                new NewTicketField
                {
                    Key = key?.Trim() ?? "",
                    Label = label?.Trim() ?? "",
                    Description = description?.Trim() is { Length: > 0 } d ? d : null,
                    Type = type,
                    Options = type is TicketFieldType.Dropdown or TicketFieldType.Multiselect ? FieldOptionsText.Parse(options) : null,
                    Pattern = type == TicketFieldType.Regex ? pattern?.Trim() : null,
                    CustomerVisible = customerVisible || customerEditable || requiredForCustomers,
                    CustomerEditable = customerEditable || requiredForCustomers,
                    RequiredForCustomers = requiredForCustomers,
                    RequiredForAgents = requiredForAgents,
                    RequiredToSolve = requiredToSolve,
                },
                cancellationToken),
            $"Field \"{key?.Trim()}\" defined.");

    /// <summary>Moves a field one place up or down (<c>reorder_ticket_fields</c> renumbers them all in one statement).</summary>
    public Task<IActionResult> OnPostMoveAsync([FromForm] string key, [FromForm] int by, CancellationToken cancellationToken) =>
        ActAsync(
            async crm =>
            {
                var keys = (await crm.Fields.ListAsync(includeArchived: true, cancellationToken).ToListAsync(cancellationToken)).Select(f => f.Key).ToList();
                var at = keys.IndexOf(key);
                var to = at + Math.Sign(by);
                if (at < 0 || to < 0 || to >= keys.Count)
                {
                    return;
                }

                (keys[at], keys[to]) = (keys[to], keys[at]);
                await crm.Fields.ReorderAsync(keys, cancellationToken);
            },
            "Order saved.");

    public Task<IActionResult> OnPostArchiveAsync([FromForm] string key, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Fields.ArchiveAsync(key, cancellationToken), $"Field \"{key}\" archived: tickets keep their values.");

    public Task<IActionResult> OnPostRestoreAsync([FromForm] string key, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Fields.UpdateAsync(key, new TicketFieldPatch { Active = true }, cancellationToken), $"Field \"{key}\" restored.");

    private async Task<IActionResult> ActAsync(Func<CrmClient, Task> action, string done)
    {
        var crm = await user.GetAsync(HttpContext.RequestAborted);
        try
        {
            await action(crm);
            TempData["Notice"] = done;
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500 and not 401)
        {
            TempData["Error"] = ex.Message;
        }

        return Redirect("/admin/fields");
    }
}
