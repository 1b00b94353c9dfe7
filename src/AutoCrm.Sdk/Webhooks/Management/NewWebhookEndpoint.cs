namespace AutoCrm.Sdk.Webhooks;

/// <summary>A webhook endpoint to create (<see cref="WebhooksClient.CreateAsync"/>).</summary>
/// <example><code>var created = await crm.Webhooks.CreateAsync(new NewWebhookEndpoint { Url = "https://example.com/hooks/autocrm", Events = [WebhookEventType.TicketCreated] });</code></example>
public sealed record NewWebhookEndpoint
{
    /// <summary>The receiver's URL (http or https).</summary>
    public required string Url { get; init; }

    /// <summary>The event types to deliver (at least one).</summary>
    public required IReadOnlyList<WebhookEventType> Events { get; init; }

    /// <summary>What the endpoint is for.</summary>
    public string? Description { get; init; }

    /// <summary>Also deliver internal events (internal notes). Off by default: a receiver outside the support team should
    /// not see what customers cannot.</summary>
    public bool InternalEvents { get; init; }
}
