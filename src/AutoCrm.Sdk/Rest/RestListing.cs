using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Rest;

/// <summary>The order of a keyset listing: an optional sort column, then a unique key column as the tie-breaker.</summary>
/// <param name="Column">The sort column, or <see langword="null"/> to order by the key alone.</param>
/// <param name="KeyColumn">A unique, non-null column (normally <c>id</c>).</param>
/// <param name="Descending">Largest first.</param>
internal sealed record KeysetOrder(string? Column, string KeyColumn, bool Descending)
{
    public override string ToString() => (Column ?? "") + "," + KeyColumn + (Descending ? ",desc" : ",asc");
}

/// <summary>
/// The SDK's one way to list rows over PostgREST: keyset paging (never OFFSET), one row of look-ahead so that a full
/// last page carries no continuation token, tokens bound to the listing, and an optional count taken with the first page.
/// Each page is one request: <c>order=col,key&amp;limit=n+1</c>, continuing with <c>or=(col.gt.v,and(col.eq.v,key.gt.k))</c>.
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
            var query = cursor is null ? ordered : After(ordered, cursor);
            if (cursor is null && count is { } mode)
            {
                query = query.Count(mode);
            }

            var result = await query.ToResultAsync(rowType, token).ConfigureAwait(false);
            total ??= result.TotalCount;
            var rows = result.Rows;
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
            ? query.Or(
                RestFilter.Where(column, op, cursor.Value),
                RestFilter.And(RestFilter.Eq(column, cursor.Value), RestFilter.Where(order.KeyColumn, op, cursor.Key)))
            : query.Where(RestFilter.Where(order.KeyColumn, op, cursor.Key));
    }
}
