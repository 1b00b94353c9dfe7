using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Realtime;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Search;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Views;

/// <summary>
/// Saved views (<c>public.ticket_views</c>): named searches in the query language (docs/search.md) with a sort, and the
/// live count of the tickets each one finds. Everyone signed in lists, saves, changes and deletes their own views; agents
/// and admins also see the shared (team) views, which only admins make and change. Get it from <see cref="CrmClient.Views"/>.
/// </summary>
public class ViewsClient
{
    private const int PageSize = 100;
    private readonly RestClient _rest = null!;
    private readonly TicketsClient _tickets = null!;
    private readonly Func<RealtimeClient> _realtime = null!;
    private readonly TimeProvider _timeProvider = null!;
    private readonly object _gate = new();
    private RealtimeStream<TicketChange>? _changes;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected ViewsClient()
    {
    }

    internal ViewsClient(RestClient rest, TicketsClient tickets, Func<RealtimeClient> realtime, TimeProvider timeProvider)
    {
        _rest = rest;
        _tickets = tickets;
        _realtime = realtime;
        _timeProvider = timeProvider;
    }

    /// <summary>Lists the caller's views and (for agents and admins) the shared ones, in display order (position, then id), counted.</summary>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (<see cref="CrmPage{T}.TotalCount"/> is exact).</returns>
    /// <example><code>await foreach (var view in crm.Views.ListAsync()) Console.WriteLine($"{view.Name}: {view.Query}");</code></example>
    public virtual CrmPageable<SavedView> ListAsync(CancellationToken cancellationToken = default) =>
        new RestListing<SavedView>(
            _rest.From("ticket_views"),
            new KeysetOrder("position", "id", Descending: false),
            PageSize,
            CrmJsonContext.Default.SavedView,
            static v => (CrmErrors.Invariant(v.Position), v.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Reads one view.</summary>
    /// <param name="id">The view id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The view.</returns>
    /// <exception cref="CrmNotFoundException">No such view, or the caller may not see it.</exception>
    public virtual async Task<SavedView> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Views.Get");
        try
        {
            return await GetCoreAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Saves a view. Its query is parsed first, so a view never holds a query the SDK cannot run.</summary>
    /// <param name="view">The view.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The view as stored.</returns>
    /// <exception cref="CrmValidationException">A bad query (code <c>invalid_query</c>, field <c>query</c>), sort (field
    /// <c>sort</c>) or name (field <c>name</c>).</exception>
    /// <exception cref="CrmConflictException">The caller (or, for a shared view, the team) already has a view with this name.</exception>
    /// <exception cref="CrmForbiddenException">A non-admin sharing a view.</exception>
    public virtual async Task<SavedView> CreateAsync(NewSavedView view, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(view);
        using var activity = CrmTelemetry.StartCall("Views.Create");
        try
        {
            Guard.NotBlank(view.Name, "name");
            Check(view.Query, view.Sort);
            var rows = await _rest.From("ticket_views").Insert(view, CrmJsonContext.Default.NewSavedView)
                .ToListAsync(CrmJsonContext.Default.SavedView, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw Forbidden();
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes a view: only the properties set on <paramref name="patch"/> are sent. Retried safely.</summary>
    /// <param name="id">The view id.</param>
    /// <param name="patch">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The changed view.</returns>
    /// <exception cref="CrmNotFoundException">No such view, or the caller may not see it.</exception>
    /// <exception cref="CrmForbiddenException">A shared view and a caller who is not an admin.</exception>
    /// <exception cref="CrmValidationException">A bad query, sort or name.</exception>
    public virtual async Task<SavedView> UpdateAsync(Guid id, SavedViewPatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var activity = CrmTelemetry.StartCall("Views.Update");
        try
        {
            if (patch.Name is not null)
            {
                Guard.NotBlank(patch.Name, "name");
            }

            Check(patch.Query, patch.Sort);
            var rows = await _rest.From("ticket_views").Eq("id", id).AsIdempotent()
                .Update(patch, CrmJsonContext.Default.SavedViewPatch)
                .ToListAsync(CrmJsonContext.Default.SavedView, cancellationToken).ConfigureAwait(false);
            if (rows.Count > 0)
            {
                return rows[0];
            }

            // Nothing updated: the view is missing, or a shared view the caller sees but may not change.
            await GetCoreAsync(id, cancellationToken).ConfigureAwait(false);
            throw Forbidden();
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Deletes a view (a shared one: admins only). Deleting a view that is gone, or that the caller may not
    /// delete, changes nothing. Retried safely.</summary>
    /// <param name="id">The view id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the view is gone.</returns>
    public virtual async Task DeleteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Views.Delete");
        try
        {
            await _rest.From("ticket_views").Eq("id", id).Delete().AsIdempotent().ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>
    /// The number of tickets a view finds, live: the first count once the stream is live, then a new count whenever a
    /// ticket the caller may read changes (created, updated, deleted) and after a dropped connection, emitted when it
    /// differs. Counts are those of <see cref="TicketsClient.SearchAsync(TicketSearchQuery, CancellationToken)"/>, under
    /// row-level security (a view with words counts at most its 1,000 ranked candidates). Changes that arrive while a count
    /// runs make one more count, not one each. All the live counts of this client share one ticket-changes channel.
    /// </summary>
    /// <param name="view">The view.</param>
    /// <returns>A cold stream in the shape of every realtime stream; <see cref="RealtimeStream{T}.SubscribeAsync"/> waits
    /// until the first count is out.</returns>
    /// <exception cref="CrmValidationException">The view's query does not parse (code <c>invalid_query</c>).</exception>
    /// <example><code>using var sub = await crm.Views.LiveCount(view).SubscribeAsync(Observer.Create&lt;long&gt;(n =&gt; Show(view.Name, n)));</code></example>
    public virtual RealtimeStream<long> LiveCount(SavedView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var search = TicketSearchQuery.Parse(view.Query, _timeProvider);
        var counted = search with { Filter = search.Filter with { Count = RestCount.Exact, PageSize = 1 } };
        var realtime = _realtime();
        RealtimeStream<TicketChange> changes;
        lock (_gate)
        {
            changes = _changes ??= realtime.TicketChanges();
        }

        return new RealtimeStream<long>(observer => new ViewCountSession(changes, realtime.ConnectionStates, ct => CountAsync(counted, ct), observer));
    }

    private async Task<long> CountAsync(TicketSearchQuery search, CancellationToken cancellationToken)
    {
        await foreach (var page in _tickets.SearchAsync(search, cancellationToken).AsPages().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            return page.TotalCount ?? page.Items.Count;
        }

        return 0;
    }

    private async Task<SavedView> GetCoreAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.From("ticket_views").Eq("id", id).SingleAsync(CrmJsonContext.Default.SavedView, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw CrmErrors.NotFound($"View {id}", ex);
        }
    }

    /// <summary>Refuses what the database would store but no client could use: a query that does not parse, an unknown sort.</summary>
    private void Check(string? query, string? sort)
    {
        if (query is not null && !TicketSearchQuery.TryParse(query, out _, out var problem, _timeProvider))
        {
            throw problem.ToException();
        }

        if (sort is not null && !SavedViewSorts.All.Contains(sort, StringComparer.Ordinal))
        {
            throw CrmErrors.Invalid("sort", $"\"{sort}\" is not a view sort; use one of {string.Join(", ", SavedViewSorts.All)}.");
        }
    }

    private static CrmForbiddenException Forbidden() =>
        new(new CrmErrorInfo { Status = 403, Code = "update_denied", Message = "Only an admin can change shared views.", IsTransient = false });
}
