using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Rest;

/// <summary>The order of a keyset listing: an optional sort column, then a unique key column as the tie-breaker.</summary>
/// <param name="Column">The sort column, or <see langword="null"/> to order by the key alone.</param>
/// <param name="KeyColumn">A unique, non-null column (normally <c>id</c>).</param>
/// <param name="Descending">Largest first.</param>
/// <param name="ManyTies">The sort column has few distinct values (a priority): a page after a cursor is read as the rest of the
/// cursor's value by key, then the values after it (two requests at most), so that it never skips the ties read before.</param>
internal sealed record KeysetOrder(string? Column, string KeyColumn, bool Descending, bool ManyTies = false)
{
    public override string ToString() => (Column ?? "") + "," + KeyColumn + (Descending ? ",desc" : ",asc");
}

/// <summary>
/// The SDK's one way to list rows over PostgREST: keyset paging (never OFFSET), one row of look-ahead so that a full
/// last page carries no continuation token, tokens bound to the listing, and an optional count taken with the first page.
/// Each page is one request: <c>order=col,key&amp;limit=n+1</c>, continuing with <c>col=gte.v&amp;or=(col.gt.v,and(col.eq.v,key.gt.k))</c>.
/// The bound on the sort column alone is what lets PostgreSQL start the index scan at the cursor, so page 10,000 costs what
/// page 1 does; the <c>or</c> then drops the ties already read.
/// </summary>
internal sealed class RestListing<T>(
    RestQuery filtered,
    KeysetOrder order,
    int pageSize,
    JsonTypeInfo<T> rowType,
    Func<T, (string? Value, string Key)> cursorOf,
    RestCount? count,
    CancellationToken callToken) : CrmPageable<T>
{
    private readonly string _fingerprint = ContinuationTokens.Fingerprint(filtered + "|" + order);

    public override IAsyncEnumerable<CrmPage<T>> AsPages(string? continuationToken = null) =>
        PagesAsync(continuationToken is null ? null : ContinuationTokens.Decode(continuationToken, _fingerprint));

    private async IAsyncEnumerable<CrmPage<T>> PagesAsync(PageCursor? cursor, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = callToken.CanBeCanceled && cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(callToken, cancellationToken)
            : null;
        var token = linked?.Token ?? (cancellationToken.CanBeCanceled ? cancellationToken : callToken);
        var ordered = filtered;
        if (order.Column is { } column)
        {
            ordered = ordered.Order(column, order.Descending);
        }

        ordered = ordered.Order(order.KeyColumn, order.Descending).Limit(pageSize + 1);
        var total = cursor?.Total;
        while (true)
        {
            IReadOnlyList<T> rows;
            if (cursor is not null && order is { ManyTies: true, Column: { } tied })
            {
                rows = await TiesThenAfterAsync(tied, cursor, token).ConfigureAwait(false);
            }
            else
            {
                var query = cursor is null ? ordered : After(ordered, cursor);
                if (cursor is null && count is { } mode)
                {
                    query = query.Count(mode);
                }

                var result = await query.ToResultAsync(rowType, token).ConfigureAwait(false);
                total ??= result.TotalCount;
                rows = result.Rows;
            }

            PageCursor? next = null;
            if (rows.Count > pageSize)
            {
                var items = rows as List<T> ?? [.. rows];
                items.RemoveAt(pageSize);
                rows = items;
                var (value, key) = cursorOf(items[^1]);
                next = new PageCursor(_fingerprint, value, key, total);
            }

            yield return new CrmPage<T> { Items = rows, ContinuationToken = next is null ? null : ContinuationTokens.Encode(next), TotalCount = total };
            if (next is null)
            {
                yield break;
            }

            cursor = next;
        }
    }

    private RestQuery After(RestQuery query, PageCursor cursor)
    {
        var op = order.Descending ? "lt" : "gt";
        return order.Column is { } column
            ? query.Where(RestFilter.Where(column, order.Descending ? "lte" : "gte", cursor.Value)).Or(
                RestFilter.Where(column, op, cursor.Value),
                RestFilter.And(RestFilter.Eq(column, cursor.Value), RestFilter.Where(order.KeyColumn, op, cursor.Key)))
            : query.Where(RestFilter.Where(order.KeyColumn, op, cursor.Key));
    }

    // A column with few values (a priority has a quarter of a million ties at 1M tickets) bounds nothing: the rest of the
    // cursor's value is read by key (one index range), then, if the page is not full, the values after it.
    private async Task<IReadOnlyList<T>> TiesThenAfterAsync(string column, PageCursor cursor, CancellationToken cancellationToken)
    {
        var op = order.Descending ? "lt" : "gt";
        var ties = await filtered.Where(RestFilter.Eq(column, cursor.Value)).Where(RestFilter.Where(order.KeyColumn, op, cursor.Key))
            .Order(order.KeyColumn, order.Descending).Limit(pageSize + 1)
            .ToListAsync(rowType, cancellationToken).ConfigureAwait(false);
        if (ties.Count > pageSize)
        {
            return ties;
        }

        var following = await filtered.Where(RestFilter.Where(column, op, cursor.Value))
            .Order(column, order.Descending).Order(order.KeyColumn, order.Descending).Limit(pageSize + 1 - ties.Count)
            .ToListAsync(rowType, cancellationToken).ConfigureAwait(false);
        return ties.Count == 0 ? following : [.. ties, .. following];
    }
}
