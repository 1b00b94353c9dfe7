namespace AutoCrm.Sdk.Internal;

/// <summary>One logical HTTP request; immutable so that every retry attempt builds an identical message from it.</summary>
internal sealed class CrmRequest
{
    public required HttpMethod Method { get; init; }

    /// <summary>Path and query relative to the project URL, e.g. <c>rest/v1/tickets?id=eq.1</c>.</summary>
    public required string PathAndQuery { get; init; }

    /// <summary>The path without the query, for logs and spans (queries may carry personal data).</summary>
    public required string LogPath { get; init; }

    /// <summary>The bearer token; <see langword="null"/> sends the project key.</summary>
    public string? BearerToken { get; init; }

    public byte[]? Body { get; init; }

    public string? Accept { get; init; }

    public string? Prefer { get; init; }

    public string? AcceptProfile { get; init; }

    public string? ContentProfile { get; init; }

    public bool IsAuth { get; init; }

    /// <summary>Whether this is the SDK's own schema-version check (whose errors are never explained by itself).</summary>
    public bool IsSchemaCheck { get; init; }

    /// <summary>Whether repeating the request after a transient failure is safe.</summary>
    public bool Retryable { get; init; }
}
