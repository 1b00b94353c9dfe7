namespace AutoCrm.Sdk;

/// <summary>The parts of an error response, used to construct a <see cref="CrmException"/>.</summary>
public sealed record CrmErrorInfo
{
    /// <summary>The HTTP status code, or 0 when no response was received.</summary>
    public int Status { get; init; }

    /// <summary>The error code (PostgREST code, SQLSTATE, Auth error code or SDK code).</summary>
    public string? Code { get; init; }

    /// <summary>The human-readable message.</summary>
    public required string Message { get; init; }

    /// <summary>Extra detail, if any.</summary>
    public string? Details { get; init; }

    /// <summary>The field a refused value belongs to, if known (see <see cref="CrmValidationException.Field"/>).</summary>
    public string? Field { get; init; }

    /// <summary>A hint, if any.</summary>
    public string? Hint { get; init; }

    /// <summary>The request id, if any.</summary>
    public string? RequestId { get; init; }

    /// <summary>The server's <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Overrides whether the error is transient; <see langword="null"/> derives it from <see cref="Status"/>.</summary>
    public bool? IsTransient { get; init; }
}
