using AutoCrm.Sdk;
using AutoCrm.Sdk.Search;
using AutoCrm.Sdk.Views;
using AutoCrm.WebHost.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace AutoCrm.WebHost.Pages.Search;

/// <summary>
/// Ticket search for everyone signed in, in the query language (docs/search.md): ranked hits with highlighted snippets,
/// as the user's own client finds them (a customer searches her own tickets; row-level security decides). A query the SDK
/// cannot parse is shown back with the offending token marked. Staff save a search as a view.
/// </summary>
[Authorize]
public sealed class SearchModel(UserCrm user) : PageModel
{
    public const int PageSize = 25;

    [FromQuery(Name = "q")]
    public string? Query { get; set; }

    public IReadOnlyList<TicketSearchHit> Hits { get; private set; } = [];

    public long? Total { get; private set; }

    public TicketSearchProblem? Problem { get; private set; }

    public string? Error { get; private set; }

    public bool Searched { get; private set; }

    public bool IsStaff => User.IsInRole("agent") || User.IsInRole("admin");

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (Query?.Trim() is not { Length: > 0 } text)
        {
            return;
        }

        Searched = true;
        if (!TicketSearchQuery.TryParse(text, out var search, out var problem))
        {
            Problem = problem;
            return;
        }

        var crm = await user.GetAsync(cancellationToken);
        try
        {
            var counted = search with { Filter = search.Filter with { PageSize = PageSize, Count = Sdk.Rest.RestCount.Exact } };
            await foreach (var page in crm.Tickets.SearchAsync(counted, cancellationToken).AsPages().WithCancellation(cancellationToken))
            {
                Hits = page.Items;
                Total = page.TotalCount;
                break;
            }
        }
        catch (CrmValidationException ex)
        {
            Error = ex.Message;
        }
    }

    /// <summary>Saves the search as a view (staff; admins may share it with the team) and goes to the workspace.</summary>
    public async Task<IActionResult> OnPostSaveAsync([FromForm] string? name, [FromForm] string? query, [FromForm] bool shared, CancellationToken cancellationToken)
    {
        if (!IsStaff)
        {
            return Forbid();
        }

        var crm = await user.GetAsync(cancellationToken);
        try
        {
            var view = await crm.Views.CreateAsync(
                new NewSavedView { Name = name ?? "", Query = query?.Trim() ?? "", Shared = shared && User.IsInRole("admin") },
                cancellationToken);
            TempData["Notice"] = $"View \"{view.Name}\" saved.";
            return Redirect("/agent");
        }
        catch (CrmException ex) when (ex.Status is >= 400 and < 500 and not 401 || ex is CrmValidationException)
        {
            TempData["Error"] = ex.Message;
            return Redirect("/search?q=" + Uri.EscapeDataString(query ?? ""));
        }
    }
}
