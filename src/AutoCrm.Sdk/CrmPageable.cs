namespace AutoCrm.Sdk;

/// <summary>
/// A lazily fetched listing: enumerate it for the items (pages are fetched as you go, never all at once),
/// or call <see cref="AsPages(string?)"/> for page boundaries and continuation tokens.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <example>
/// <code>
/// await foreach (var page in crm.Tickets.ListAsync(query).AsPages(savedToken))
/// {
///     Show(page.Items);
///     savedToken = page.ContinuationToken;
/// }
/// </code>
/// </example>
public abstract class CrmPageable<T> : IAsyncEnumerable<T>
{
    /// <summary>For subclasses.</summary>
    protected CrmPageable()
    {
    }

    /// <summary>The listing page by page.</summary>
    /// <param name="continuationToken">Where to continue (from a previous page); <see langword="null"/> starts at the beginning.</param>
    /// <returns>The pages.</returns>
    public abstract IAsyncEnumerable<CrmPage<T>> AsPages(string? continuationToken = null);

    /// <inheritdoc/>
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        await foreach (var page in AsPages().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            foreach (var item in page.Items)
            {
                yield return item;
            }
        }
    }
}
