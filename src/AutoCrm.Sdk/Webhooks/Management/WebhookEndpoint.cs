namespace AutoCrm.Sdk.Webhooks;

/// <summary>Where webhooks go (a row of <c>public.webhook_endpoints</c>, admins only). The secret is not part of it: it is
/// shown once, when the endpoint is created or its secret rotated.</summary>
public sealed record WebhookEndpoint
{
    /// <summary>The endpoint id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The receiver's URL (http or https).</summary>
    public string Url { get; init; } = "";

    /// <summary>What the endpoint is for.</summary>
    public string Description { get; init; } = "";

    /// <summary>The event types it subscribes to.</summary>
    public IReadOnlyList<WebhookEventType> Events { get; init; } = [];

    /// <summary>Whether it also receives internal events (internal notes as <c>message.created</c>).</summary>
    public bool InternalEvents { get; init; }

    /// <summary>Whether deliveries go out. The dispatcher turns this off when the receiver answers 410 Gone.</summary>
    public bool Active { get; init; }

    /// <summary>Why the dispatcher disabled the endpoint, if it did.</summary>
    public string? DisabledReason { get; init; }

    /// <summary>The last four characters of the current secret, to tell secrets apart.</summary>
    public string SecretHint { get; init; } = "";

    /// <summary>When the secret was last rotated, if ever.</summary>
    public DateTimeOffset? SecretRotatedAt { get; init; }

    /// <summary>When the endpoint was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the endpoint last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
