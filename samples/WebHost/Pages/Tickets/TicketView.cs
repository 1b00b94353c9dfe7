using AutoCrm.Sdk;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.WebHost.Pages.Tickets;

/// <summary>What the ticket page shows, read with the user's own client (so a customer's copy has no internal notes).</summary>
public sealed record TicketView(
    Ticket Ticket,
    IReadOnlyList<TicketMessage> Messages,
    IReadOnlyDictionary<Guid, string> Names,
    IReadOnlyList<Queue> Queues,
    IReadOnlyList<Profile> Agents,
    bool IsStaff,
    Guid CurrentUserId)
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
        return new TicketView(ticket, messages, names, queues, agents, isStaff, userId);
    }

    public string QueueName => Ticket.QueueId is { } id && Queues.FirstOrDefault(q => q.Id == id) is { } q ? q.Name : Ticket.QueueId is null ? "none" : "";
}
