namespace AutoCrm.Sdk.Queues;

/// <summary>A work queue (a row of <c>public.queues</c>).</summary>
public sealed record Queue
{
    /// <summary>The queue id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The stable short name, e.g. <c>billing</c>.</summary>
    public string Slug { get; init; } = "";

    /// <summary>The display name.</summary>
    public string Name { get; init; } = "";

    /// <summary>What the queue is for.</summary>
    public string Description { get; init; } = "";

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
