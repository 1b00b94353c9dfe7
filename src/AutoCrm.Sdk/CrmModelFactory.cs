using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk;

/// <summary>
/// Builds what a consumer's unit tests need to fake the SDK without HTTP. Models are records with public
/// <c>init</c> properties, so build those directly (<c>new Ticket { Id = …, Subject = … }</c>); this factory covers the
/// types that have no public constructor. See docs/testing.md.
/// </summary>
/// <example>
/// <code>
/// tickets.Setup(t => t.ListAsync(It.IsAny&lt;TicketQuery?&gt;(), It.IsAny&lt;CancellationToken&gt;()))
///        .Returns(CrmModelFactory.Pageable([new Ticket { Id = id, Subject = "Printer on fire" }]));
/// </code>
/// </example>
public static class CrmModelFactory
{
    /// <summary>A listing made of the given pages (their tokens are what <see cref="CrmPageable{T}.AsPages(string?)"/>
    /// hands out; continuing from a token starts after the page that carries it).</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="pages">The pages, in order.</param>
    /// <returns>The listing.</returns>
    public static CrmPageable<T> Pageable<T>(IEnumerable<CrmPage<T>> pages)
    {
        ArgumentNullException.ThrowIfNull(pages);
        return new FixedPageable<T>([.. pages]);
    }

    /// <summary>A listing of the given items in pages of <paramref name="pageSize"/>, with <see cref="CrmPage{T}.TotalCount"/> set.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="items">The items, in order.</param>
    /// <param name="pageSize">Items per page.</param>
    /// <returns>The listing.</returns>
    public static CrmPageable<T> Pageable<T>(IEnumerable<T> items, int pageSize = 100)
    {
        ArgumentNullException.ThrowIfNull(items);
        Guard.InRange(pageSize, 1, int.MaxValue, "page_size");
        var all = items.ToList();
        var pages = new List<CrmPage<T>>();
        for (var start = 0; start == 0 || start < all.Count; start += pageSize)
        {
            var end = Math.Min(start + pageSize, all.Count);
            pages.Add(new CrmPage<T>
            {
                Items = all[start..end],
                ContinuationToken = end < all.Count ? "page-" + (pages.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                TotalCount = all.Count,
            });
        }

        return new FixedPageable<T>(pages);
    }

    private sealed class FixedPageable<T>(IReadOnlyList<CrmPage<T>> pages) : CrmPageable<T>
    {
        public override async IAsyncEnumerable<CrmPage<T>> AsPages(string? continuationToken = null)
        {
            var start = 0;
            if (continuationToken is not null)
            {
                var index = -1;
                for (var i = 0; i < pages.Count; i++)
                {
                    if (pages[i].ContinuationToken == continuationToken)
                    {
                        index = i;
                        break;
                    }
                }

                start = index >= 0 ? index + 1 : throw ContinuationTokens.Foreign();
            }

            for (var i = start; i < pages.Count; i++)
            {
                await Task.Yield();
                yield return pages[i];
            }
        }
    }
}
