namespace AutoCrm.Sdk;

/// <summary>
/// A lazily fetched listing, the one shape every SDK listing has: enumerate it for the items (pages are fetched as you
/// go, never all at once), call <see cref="AsPages(string?)"/> for page boundaries, counts and continuation tokens, or
/// <see cref="ToListAsync"/> when you want everything in memory. Nothing is sent until you enumerate. Continuation
/// tokens are bound to their listing: a token from another query is refused with <see cref="CrmValidationException"/>.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <example>
/// <code>
/// await foreach (var page in crm.Tickets.ListAsync(query).AsPages(savedToken))
/// {
///     Show(page.Items, page.TotalCount);
///     savedToken = page.ContinuationToken;
/// }
/// </code>
/// </example>
public abstract class CrmPageable<T> : IAsyncEnumerable<T>
{
    /// <summary>For subclasses, and for fakes in tests (see <see cref="CrmModelFactory.Pageable{T}(IEnumerable{CrmPage{T}})"/>).</summary>
    protected CrmPageable()
    {
    }

    /// <summary>The listing page by page.</summary>
    /// <param name="continuationToken">Where to continue (from a previous page of the same listing); <see langword="null"/>
    /// starts at the beginning.</param>
    /// <returns>The pages.</returns>
    /// <exception cref="CrmValidationException">The token is not one this listing produced (code
    /// <c>invalid_continuation_token</c>); thrown when enumeration starts.</exception>
    public abstract IAsyncEnumerable<CrmPage<T>> AsPages(string? continuationToken = null);

    /// <summary>Enumerates every item, fetching page after page.</summary>
    /// <param name="cancellationToken">Cancels the enumeration (together with the token given to the listing method).</param>
    /// <returns>The enumerator.</returns>
    public virtual async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        await foreach (var page in AsPages().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            foreach (var item in page.Items)
            {
                yield return item;
            }
        }
    }

    /// <summary>Reads every page into one list. Mind the size: for big listings enumerate instead.</summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>All items, in order.</returns>
    public virtual async Task<IReadOnlyList<T>> ToListAsync(CancellationToken cancellationToken = default)
    {
        var items = new List<T>();
        await foreach (var page in AsPages().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            items.AddRange(page.Items);
        }

        return items;
    }
}
