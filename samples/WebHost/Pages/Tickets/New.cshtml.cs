using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.CustomFields;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Tickets;

/// <summary>
/// Files a ticket: subject, description (the first message), priority, queue, the custom fields the user may fill in
/// (customers: the customer-editable ones) and optional free-form key/value details. Required fields are marked, not
/// enforced here: the database checks every rule and its message is shown next to the field it names.
/// </summary>
public sealed class NewTicketModel(UserCrm user) : PageModel
{
    public const int MetadataRows = 3;

    [BindProperty, Required, StringLength(200)]
    public string Subject { get; set; } = "";

    [BindProperty, Required]
    public string Description { get; set; } = "";

    [BindProperty]
    public TicketPriority Priority { get; set; } = TicketPriority.Normal;

    [BindProperty]
    public Guid? QueueId { get; set; }

    [BindProperty]
    public List<string?> MetaKey { get; set; } = [];

    [BindProperty]
    public List<string?> MetaValue { get; set; } = [];

    public IReadOnlyList<Queue> Queues { get; private set; } = [];

    public string? Error { get; private set; }

    public FieldInputs Fields { get; private set; } = new([], CrmMetadata.Empty, false, true, null, null);

    private bool IsStaff => User.IsInRole("agent") || User.IsInRole("admin");

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Queues = await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken);
        Fields = Fields with { Fields = await EditableFieldsAsync(crm, cancellationToken), IsStaff = IsStaff };
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        var fields = await EditableFieldsAsync(crm, cancellationToken);
        var values = FieldForm.ForNewTicket(Request.Form, fields, CrmMetadata.Empty);
        Fields = new FieldInputs(fields, values, IsStaff, ForNewTicket: true, null, null);
        if (!ModelState.IsValid)
        {
            Error = "A subject and a description are required.";
            Queues = await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken);
            return Page();
        }

        var metadata = new JsonObject();
        for (var i = 0; i < Math.Min(MetaKey.Count, MetadataRows); i++)
        {
            if (MetaKey[i]?.Trim() is { Length: > 0 } key)
            {
                metadata[key] = MetaValue.ElementAtOrDefault(i)?.Trim() ?? "";
            }
        }

        try
        {
            var ticket = await crm.Tickets.CreateAsync(
                new NewTicket
                {
                    Subject = Subject.Trim(),
                    Description = Description.Trim(),
                    Priority = Priority,
                    QueueId = QueueId,
                    Metadata = WithFields(CrmMetadata.From(metadata), values),
                },
                cancellationToken);
            return Redirect($"/tickets/{ticket.Number}");
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500)
        {
            if (FieldForm.FieldOf(ex) is { } key && fields.Any(f => f.Key == key))
            {
                Fields = Fields with { ErrorField = key, ErrorMessage = ex.Message };
                Error = "The ticket was not filed: see the marked field.";
            }
            else
            {
                Error = ex.Message;
            }

            Queues = await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken);
            return Page();
        }
    }

    private async Task<IReadOnlyList<TicketField>> EditableFieldsAsync(CrmClient crm, CancellationToken cancellationToken) =>
        FieldForm.Editable(await crm.Fields.ListAsync(cancellationToken: cancellationToken).ToListAsync(cancellationToken), IsStaff);

    /// <summary>The free-form details with the custom field values on top (a field wins over a detail with its key).</summary>
    private static CrmMetadata? WithFields(CrmMetadata details, CrmMetadata values)
    {
        foreach (var property in values.RootElement.EnumerateObject())
        {
            details = details.With(property.Name, property.Value);
        }

        return details.RootElement.EnumerateObject().Any() ? details : null;
    }
}
