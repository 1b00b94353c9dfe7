using AutoCrm.Sdk;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Search;
using AutoCrm.Sdk.Views;

namespace AutoCrm.WebHost.Search;

/// <summary>A saved view with the number of tickets it finds for the viewer now (null when its query no longer parses).</summary>
public sealed record SavedViewCount(SavedView View, long? Count, bool CanDelete);

/// <summary>Reads the viewer's saved views (own and, for staff, shared) with their counts, as the viewer.</summary>
internal static class SavedViewCounts
{
    /// <summary>At most this many views are shown and counted live.</summary>
    public const int Limit = 50;

    public static async Task<IReadOnlyList<SavedViewCount>> LoadAsync(CrmClient crm, Guid userId, bool isAdmin, CancellationToken cancellationToken)
    {
        var views = await ListAsync(crm, cancellationToken);
        var counted = new List<SavedViewCount>(views.Count);
        foreach (var view in views)
        {
            counted.Add(new SavedViewCount(view, await CountAsync(crm, view, cancellationToken), view.Shared ? isAdmin : view.OwnerId == userId));
        }

        return counted;
    }

    public static async Task<IReadOnlyList<SavedView>> ListAsync(CrmClient crm, CancellationToken cancellationToken)
    {
        var views = new List<SavedView>();
        await foreach (var view in crm.Views.ListAsync(cancellationToken).WithCancellation(cancellationToken))
        {
            views.Add(view);
            if (views.Count == Limit)
            {
                break;
            }
        }

        return views;
    }

    private static async Task<long?> CountAsync(CrmClient crm, SavedView view, CancellationToken cancellationToken)
    {
        if (!TicketSearchQuery.TryParse(view.Query, out var search, out _))
        {
            return null;
        }

        var counted = search with { Filter = search.Filter with { Count = RestCount.Exact, PageSize = 1 } };
        await foreach (var page in crm.Tickets.SearchAsync(counted, cancellationToken).AsPages().WithCancellation(cancellationToken))
        {
            return page.TotalCount ?? page.Items.Count;
        }

        return 0;
    }
}
