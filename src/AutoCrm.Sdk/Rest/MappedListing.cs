using System.Runtime.CompilerServices;

namespace AutoCrm.Sdk.Rest;

/// <summary>A listing whose rows are read as one type and handed out as another (the same pages, tokens and counts).</summary>
internal sealed class MappedListing<TRow, T>(CrmPageable<TRow> rows, Func<TRow, T> map) : CrmPageable<T>
{
    public override IAsyncEnumerable<CrmPage<T>> AsPages(string? continuationToken = null) => PagesAsync(continuationToken);

    private async IAsyncEnumerable<CrmPage<T>> PagesAsync(string? continuationToken, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in rows.AsPages(continuationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return new CrmPage<T>
            {
                Items = [.. page.Items.Select(map)],
                ContinuationToken = page.ContinuationToken,
                TotalCount = page.TotalCount,
            };
        }
    }
}
