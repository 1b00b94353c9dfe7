using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>Queue administration: create, rename, delete, and who works each queue. The database allows it only to admins.</summary>
public sealed class AdminQueuesModel(UserCrm user) : PageModel
{
    public IReadOnlyList<Queue> Queues { get; private set; } = [];

    public IReadOnlyDictionary<Guid, IReadOnlyList<Guid>> Members { get; private set; } = new Dictionary<Guid, IReadOnlyList<Guid>>();

    public IReadOnlyList<Profile> Staff { get; private set; } = [];

    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        Queues = (await crm.Queues.ListAsync(cancellationToken).ToListAsync(cancellationToken)).OrderBy(q => q.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var members = new Dictionary<Guid, IReadOnlyList<Guid>>();
        foreach (var queue in Queues)
        {
            members[queue.Id] = (await crm.Queues.ListMembersAsync(queue.Id, cancellationToken).ToListAsync(cancellationToken)).Select(m => m.AgentId).ToList();
        }

        Members = members;
        var profiles = await StaffProfiles.ListAsync(crm, cancellationToken);
        Staff = profiles.OrderBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
        Names = StaffProfiles.Names(profiles);
    }

    public Task<IActionResult> OnPostCreateAsync([FromForm] string name, [FromForm] string slug, [FromForm] string? description, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Queues.CreateAsync(new NewQueue { Name = name.Trim(), Slug = slug.Trim(), Description = description }, cancellationToken), "Queue created.");

    public Task<IActionResult> OnPostRenameAsync([FromForm] Guid queueId, [FromForm] string name, CancellationToken cancellationToken) =>
        ActAsync(
            crm => crm.Rest.From("queues").Update(new JsonObject { ["name"] = name.Trim() }).Eq("id", queueId).ExecuteAsync(cancellationToken),
            "Queue renamed.");

    public Task<IActionResult> OnPostDeleteAsync([FromForm] Guid queueId, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Queues.DeleteAsync(queueId, cancellationToken), "Queue deleted.");

    public Task<IActionResult> OnPostAddMemberAsync([FromForm] Guid queueId, [FromForm] Guid agentId, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Queues.AddMemberAsync(queueId, agentId, cancellationToken), "Member added.");

    public Task<IActionResult> OnPostRemoveMemberAsync([FromForm] Guid queueId, [FromForm] Guid agentId, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Queues.RemoveMemberAsync(queueId, agentId, cancellationToken), "Member removed.");

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

        return Redirect("/admin/queues");
    }
}
