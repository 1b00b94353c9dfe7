namespace AutoCrm.Sdk.Webhooks;

/// <summary>The result of rotating an endpoint's secret. Until <see cref="PreviousExpiresAt"/> both secrets sign every
/// delivery (two <c>v1</c> values), so the receiver can switch to <see cref="Secret"/> at its own pace.</summary>
public sealed record WebhookSecretRotation
{
    /// <summary>The endpoint.</summary>
    public required Guid EndpointId { get; init; }

    /// <summary>The new secret; the only time it can be read.</summary>
    public required string Secret { get; init; }

    /// <summary>When the previous secret stops signing; <see langword="null"/> when it stopped at once (no overlap).</summary>
    public DateTimeOffset? PreviousExpiresAt { get; init; }
}
