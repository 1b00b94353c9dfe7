namespace AutoCrm.Sdk;

/// <summary>One page of a listing.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed record CrmPage<T>
{
    /// <summary>The items of this page.</summary>
    public required IReadOnlyList<T> Items { get; init; }

    /// <summary>Pass this to <see cref="CrmPageable{T}.AsPages(string?)"/> to continue after this page;
    /// <see langword="null"/> on the last page.</summary>
    public string? ContinuationToken { get; init; }
}
