namespace AutoCrm.Sdk.Webhooks;

/// <summary>A change to a webhook endpoint: only the properties that are set are sent.</summary>
/// <example><code>await crm.Webhooks.UpdateAsync(id, new WebhookEndpointPatch { Active = true });</code></example>
public sealed record WebhookEndpointPatch
{
    /// <summary>A new URL.</summary>
    public string? Url { get; init; }

    /// <summary>A new description.</summary>
    public string? Description { get; init; }

    /// <summary>A new set of subscribed event types.</summary>
    public IReadOnlyList<WebhookEventType>? Events { get; init; }

    /// <summary>Whether internal events are delivered.</summary>
    public bool? InternalEvents { get; init; }

    /// <summary>Turns deliveries on or off (turning on clears <see cref="WebhookEndpoint.DisabledReason"/>).</summary>
    public bool? Active { get; init; }
}
