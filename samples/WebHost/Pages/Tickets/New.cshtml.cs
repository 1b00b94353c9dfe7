using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Tickets;

/// <summary>Files a ticket: subject, description (the first message), priority, queue and optional key/value details.</summary>
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

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Queues = await (await user.GetAsync(cancellationToken)).Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
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
                    Metadata = metadata.Count > 0 ? CrmMetadata.From(metadata) : null,
                },
                cancellationToken);
            return Redirect($"/tickets/{ticket.Number}");
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500)
        {
            Error = ex.Message;
            Queues = await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken);
            return Page();
        }
    }
}
