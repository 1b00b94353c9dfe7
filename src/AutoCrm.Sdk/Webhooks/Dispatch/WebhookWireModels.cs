namespace AutoCrm.Sdk.Webhooks;

/// <summary>A delivery leased by <c>lease_webhook_deliveries</c>: the body and the finished signature header, signed by the database.</summary>
internal sealed record LeasedWebhookDelivery(
    Guid DeliveryId,
    Guid LeaseId,
    Guid EndpointId,
    string Url,
    string EventType,
    int Attempt,
    DateTimeOffset CreatedAt,
    string Body,
    string? Signature);

/// <summary>The arguments of <c>lease_webhook_deliveries</c>.</summary>
internal sealed record WebhookLeaseArguments(int MaxCount, int LeaseSeconds, string Dispatcher, DateTimeOffset Now, IReadOnlyList<Guid> ExcludeEndpoints);

/// <summary>The arguments of <c>complete_webhook_delivery</c>.</summary>
internal sealed record WebhookCompletion(
    Guid DeliveryId,
    Guid LeaseId,
    string Outcome,
    int? StatusCode,
    string? Error,
    DateTimeOffset? RetryAt,
    int? DurationMs,
    string Dispatcher,
    DateTimeOffset Now);
