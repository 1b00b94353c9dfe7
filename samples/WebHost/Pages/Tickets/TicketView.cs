using AutoCrm.Sdk;
using AutoCrm.Sdk.Fields;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.WebHost.Pages.Tickets;

/// <summary>What the ticket page shows, read with the user's own client (so a customer's copy has no internal notes, and
/// neither the definitions nor the values of agent-only fields: row-level security keeps both from her).</summary>
public sealed record TicketView(
    Ticket Ticket,
    IReadOnlyList<TicketMessage> Messages,
    IReadOnlyDictionary<Guid, string> Names,
    IReadOnlyList<Queue> Queues,
    IReadOnlyList<Profile> Agents,
    bool IsStaff,
    Guid CurrentUserId,
    IReadOnlyList<TicketField> Fields,
    CrmMetadata FieldValues)
{
    public static async Task<TicketView> LoadAsync(CrmClient crm, long number, bool isStaff, Guid userId, CancellationToken cancellationToken)
    {
        var ticket = await crm.Tickets.GetByNumberAsync(number, TicketInclude.Conversation, cancellationToken);
        var messages = (ticket.ConversationHistory ?? []).OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).ToList();

        // Authors are the requester or staff; the assignee is staff.
        var profiles = await StaffProfiles.WithAsync(crm, [ticket.RequesterId, .. messages.Where(m => m.AuthorId is not null).Select(m => m.AuthorId!.Value)], cancellationToken);
        var queues = isStaff ? await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken) : [];
        var names = StaffProfiles.Names(profiles);
        var agents = profiles.Where(p => p.Role is UserRole.Agent or UserRole.Admin).OrderBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
        var fields = await crm.Fields.ListAsync(includeArchived: true, cancellationToken).ToListAsync(cancellationToken);
        // Staff read agent-only values too (they are kept beside the ticket row); a customer's are all in the ticket's metadata.
        var values = isStaff && fields.Count > 0 ? await crm.Fields.GetValuesAsync(ticket.Id, cancellationToken) : ticket.Metadata;
        return new TicketView(ticket, messages, names, queues, agents, isStaff, userId, fields, values);
    }

    /// <summary>The fields this user fills in on the ticket page.</summary>
    public IReadOnlyList<TicketField> EditableFields => CustomFields.FieldForm.Editable(Fields, IsStaff);

    /// <summary>Whether a metadata key is a defined field (shown by its label) rather than a free-form detail.</summary>
    public bool IsField(string key) => Fields.Any(f => f.Key == key);

    public string QueueName => Ticket.QueueId is { } id && Queues.FirstOrDefault(q => q.Id == id) is { } q ? q.Name : Ticket.QueueId is null ? "none" : "";
}
