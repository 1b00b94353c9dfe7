namespace AutoCrm.Sdk.Rest;

/// <summary>Rows from a PostgREST call together with the response's count and status.</summary>
/// <typeparam name="T">The row type.</typeparam>
public sealed record RestResult<T>
{
    /// <summary>The rows (empty for a write without a returned representation).</summary>
    public required IReadOnlyList<T> Rows { get; init; }

    /// <summary>The total the server counted (from <c>Content-Range</c>) when a count was requested; otherwise <see langword="null"/>.</summary>
    public long? TotalCount { get; init; }

    /// <summary>The HTTP status (200, 201, 204 or 206).</summary>
    public int Status { get; init; }
}
