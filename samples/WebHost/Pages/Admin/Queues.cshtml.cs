using System.Text.Json.Nodes;
using System.Globalization;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Agents;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Admin;

/// <summary>Queue administration: create, rename, delete, who works each queue, and how it routes (mode and capacity). The
/// database allows it only to admins; a refused routing setting is shown beside its form.</summary>
public sealed class AdminQueuesModel(UserCrm user) : PageModel
{
    public IReadOnlyList<Queue> Queues { get; private set; } = [];

    public IReadOnlyDictionary<Guid, IReadOnlyList<Guid>> Members { get; private set; } = new Dictionary<Guid, IReadOnlyList<Guid>>();

    public IReadOnlyList<Profile> Staff { get; private set; } = [];

    public IReadOnlyDictionary<Guid, string> Names { get; private set; } = new Dictionary<Guid, string>();

    public IReadOnlyDictionary<Guid, QueueRouting> Routing { get; private set; } = new Dictionary<Guid, QueueRouting>();

    /// <summary>The routing mode's form value (the database's spelling).</summary>
    public static string ModeValue(RoutingMode mode) => mode switch
    {
        RoutingMode.RoundRobin => "round_robin",
        RoutingMode.LeastLoaded => "least_loaded",
        _ => "manual",
    };

    /// <summary>The error of a queue's routing form, if the last save was refused.</summary>
    public string? RoutingError(Guid queueId) => TempData[RoutingErrorKey(queueId)] as string;

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
        Routing = (await crm.Agents.ListQueueRoutingAsync(cancellationToken).ToListAsync(cancellationToken)).ToDictionary(r => r.QueueId);
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

    public async Task<IActionResult> OnPostRoutingAsync([FromForm] Guid queueId, [FromForm] string? mode, [FromForm] string? capacity, CancellationToken cancellationToken)
    {
        var key = RoutingErrorKey(queueId);
        RoutingMode? chosen = mode switch { "manual" => RoutingMode.Manual, "round_robin" => RoutingMode.RoundRobin, "least_loaded" => RoutingMode.LeastLoaded, _ => null };
        var blank = string.IsNullOrWhiteSpace(capacity);
        var limit = 0;
        if (chosen is null)
        {
            TempData[key] = "Choose manual, round robin or least loaded.";
        }
        else if (!blank && !int.TryParse(capacity!.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out limit))
        {
            TempData[key] = "Capacity must be a whole number (or empty to inherit the default).";
        }
        else
        {
            var crm = await user.GetAsync(cancellationToken);
            try
            {
                await crm.Agents.SetQueueRoutingAsync(queueId, chosen.Value, blank ? null : limit, cancellationToken);
                TempData["Notice"] = "Routing saved.";
            }
            catch (CrmException ex) when (ex.Status is >= 400 and < 500 and not 401)
            {
                TempData[key] = ex.Message;
            }
        }

        return Redirect("/admin/queues");
    }

    private static string RoutingErrorKey(Guid queueId) => "RoutingError:" + queueId.ToString("N");

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
