using AutoCrm.Sdk;
using AutoCrm.Sdk.Reports;
using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.CustomFields;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Tickets;

/// <summary>
/// One ticket for its requester or for staff. Every read and write uses the user's own client: a customer asking for
/// someone else's ticket gets 404 from row-level security, not from a check here.
/// </summary>
public sealed partial class TicketDetailsModel(UserCrm user) : PageModel
{
    [FromRoute]
    public long Number { get; set; }

    [BindProperty]
    public Guid TicketId { get; set; }

    public TicketView? View { get; private set; }

    /// <summary>For the requester of a solved or closed ticket: the scale to rate on (else null: no prompt).</summary>
    public CsatScale? RatingScale { get; private set; }

    /// <summary>The requester's rating of the ticket's current solve, if given.</summary>
    public TicketRating? Rating { get; private set; }

    private bool IsStaff => User.IsInRole("agent") || User.IsInRole("admin");

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var crm = await user.GetAsync(cancellationToken);
        View = await TicketView.LoadAsync(crm, Number, IsStaff, user.UserId, cancellationToken);
        if (View.Ticket.RequesterId == user.UserId && View.Ticket.Status is TicketStatus.Solved or TicketStatus.Closed)
        {
            RatingScale = (await crm.Ratings.GetSettingsAsync(cancellationToken)).CsatScale;
            // Only a rating of the current solve counts: after a reopen and a new solve the earlier solve's rating stays in
            // the history, and the page asks for a rating of this one.
            var solvedAt = View.Ticket.SolvedAt;
            Rating = (await crm.Ratings.GetForTicketAsync(View.Ticket.Id, cancellationToken)).LastOrDefault(r => solvedAt is { } s && r.SolvedAt >= s);
        }

        return Page();
    }

    /// <summary>The live part of the page, fetched again by live.js whenever the ticket's event stream says something changed.</summary>
    public async Task<IActionResult> OnGetLiveAsync(CancellationToken cancellationToken) =>
        Partial("_TicketLive", await TicketView.LoadAsync(await user.GetAsync(cancellationToken), Number, IsStaff, user.UserId, cancellationToken));

    public Task<IActionResult> OnPostReplyAsync([FromForm] string? body, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Tickets.ReplyAsync(TicketId, Required(body), cancellationToken: cancellationToken), "Reply sent.");

    public Task<IActionResult> OnPostNoteAsync([FromForm] string? body, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Tickets.AddInternalNoteAsync(TicketId, Required(body), cancellationToken: cancellationToken), "Internal note added.");

    public Task<IActionResult> OnPostCloseAsync(CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Tickets.UpdateAsync(TicketId, new TicketPatch { Status = TicketStatus.Closed }, cancellationToken: cancellationToken), "Ticket closed.");

    public Task<IActionResult> OnPostReopenAsync(CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Tickets.UpdateAsync(TicketId, new TicketPatch { Status = TicketStatus.Open }, cancellationToken: cancellationToken), "Ticket reopened.");

    public Task<IActionResult> OnPostUpdateAsync(
        [FromForm] TicketStatus status, [FromForm] TicketPriority priority, [FromForm] string? tags, CancellationToken cancellationToken)
    {
        var tagList = (tags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        return ActAsync(
            crm => crm.Tickets.UpdateAsync(TicketId, new TicketPatch { Status = status, Priority = priority, Tags = tagList }, cancellationToken: cancellationToken),
            "Ticket saved.");
    }

    /// <summary>Saves the custom fields the user changed (one merge update: the others keep their values).</summary>
    public Task<IActionResult> OnPostFieldsAsync(CancellationToken cancellationToken) =>
        ActAsync(
            async crm =>
            {
                var fields = FieldForm.Editable(await crm.Fields.ListAsync(cancellationToken: cancellationToken).ToListAsync(cancellationToken), IsStaff);
                var changes = FieldForm.Changes(Request.Form, fields, await crm.Fields.GetValuesAsync(TicketId, cancellationToken));
                if (changes.RootElement.EnumerateObject().Any())
                {
                    await crm.Tickets.MergeMetadataAsync(TicketId, changes, cancellationToken: cancellationToken);
                }
            },
            "Fields saved.");

    /// <summary>The requester rates the latest solve (or changes that rating within 7 days); the database checks the scale,
    /// the ticket's state and who may rate.</summary>
    public Task<IActionResult> OnPostRateAsync([FromForm] string? rating, [FromForm] string? comment, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Ratings.RateAsync(TicketId, Score(rating), comment?.Trim() is { Length: > 0 } c ? c : null, cancellationToken), "Thank you for your rating.");

    public Task<IActionResult> OnPostTransferAsync([FromForm] Guid queueId, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Queues.TransferAsync(TicketId, queueId, cancellationToken), "Ticket transferred.");

    public Task<IActionResult> OnPostAssignAsync([FromForm] Guid agentId, CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Queues.AssignAsync(TicketId, agentId, cancellationToken), "Ticket assigned.");

    public Task<IActionResult> OnPostClaimAsync(CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Queues.AssignAsync(TicketId, user.UserId, cancellationToken), "The ticket is yours.");

    public Task<IActionResult> OnPostReleaseAsync(CancellationToken cancellationToken) =>
        ActAsync(crm => crm.Queues.ReleaseAsync(TicketId, cancellationToken), "Ticket released.");

    private static CsatScore Score(string? rating) => rating switch
    {
        "good" => CsatScore.Good,
        "bad" => CsatScore.Bad,
        [>= '1' and <= '5'] => CsatScore.Points(rating[0] - '0'),
        _ => throw new CrmException(new CrmErrorInfo { Status = 400, Message = "Choose a rating first." }),
    };

    private static string Required(string? body) =>
        body?.Trim() is { Length: > 0 } text ? text : throw new CrmException(new CrmErrorInfo { Status = 400, Message = "Write something first." });

    /// <summary>Runs one change and comes back to the page (post/redirect/get); a refusal from the CRM shows as a message.</summary>
    private async Task<IActionResult> ActAsync(Func<CrmClient, Task> action, string done)
    {
        var crm = await user.GetAsync(HttpContext.RequestAborted);
        try
        {
            await action(crm);
            TempData["Notice"] = done;
        }
        catch (CrmException ex) when (ex is not CrmNotFoundException && ex.Status is >= 400 and < 500 and not 401)
        {
            TempData["Error"] = ex.Message;
            if (FieldForm.FieldOf(ex) is { } field)
            {
                // Also shown under the field's input when the page has one (a required-to-solve field, a refused value).
                TempData["FieldError"] = field;
                TempData["FieldErrorMessage"] = ex.Message;
            }
        }

        return Redirect($"/tickets/{Number}");
    }
}
