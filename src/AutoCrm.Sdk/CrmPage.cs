namespace AutoCrm.Sdk;

/// <summary>One page of a listing.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed record CrmPage<T>
{
    /// <summary>The items of this page (at most the page size; a page other than the last is full).</summary>
    public required IReadOnlyList<T> Items { get; init; }

    /// <summary>Pass this to <see cref="CrmPageable{T}.AsPages(string?)"/> to continue after this page;
    /// <see langword="null"/> on the last page (the SDK looks one item ahead, so "load more" never loads nothing).</summary>
    public string? ContinuationToken { get; init; }

    /// <summary>How many items the whole listing has, when the server counted them (see each listing's documentation:
    /// short listings always count, ticket listings when <c>TicketQuery.Count</c> asks); counted when the listing started
    /// and repeated on every later page. <see langword="null"/> when not counted.</summary>
    public long? TotalCount { get; init; }
}
