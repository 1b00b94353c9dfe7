namespace AutoCrm.Sdk.Webhooks;

/// <summary>One HTTP attempt of a delivery (a row of <c>public.webhook_delivery_attempts</c>).</summary>
public sealed record WebhookDeliveryAttempt
{
    /// <summary>The attempt id (increasing).</summary>
    public long Id { get; init; }

    /// <summary>The delivery.</summary>
    public Guid DeliveryId { get; init; }

    /// <summary>1 for the first attempt.</summary>
    public int Attempt { get; init; }

    /// <summary>The receiver's HTTP status, or <see langword="null"/> when no answer came (timeout, connection refused).</summary>
    public int? StatusCode { get; init; }

    /// <summary>What went wrong, if anything.</summary>
    public string? Error { get; init; }

    /// <summary>How long the attempt took, in milliseconds.</summary>
    public int? DurationMs { get; init; }

    /// <summary>The dispatcher that made it.</summary>
    public string Dispatcher { get; init; } = "";

    /// <summary>When it finished.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
