namespace AutoCrm.Sdk.Webhooks;

/// <summary>A new endpoint and its signing secret. This is the only time the secret can be read: store it with the receiver.</summary>
public sealed record CreatedWebhookEndpoint
{
    /// <summary>The endpoint.</summary>
    public required WebhookEndpoint Endpoint { get; init; }

    /// <summary>The signing secret (<c>whsec_…</c>); pass it to <see cref="WebhookSignature.Verify(string, string?, string, TimeSpan)"/>.</summary>
    public required string Secret { get; init; }
}
