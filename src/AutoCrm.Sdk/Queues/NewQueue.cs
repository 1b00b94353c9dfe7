namespace AutoCrm.Sdk.Queues;

/// <summary>What to create a queue with (admins only).</summary>
public sealed record NewQueue
{
    /// <summary>The short name: lower-case letters, digits, <c>-</c> and <c>_</c>.</summary>
    public required string Slug { get; init; }

    /// <summary>The display name.</summary>
    public required string Name { get; init; }

    /// <summary>What the queue is for.</summary>
    public string? Description { get; init; }
}
