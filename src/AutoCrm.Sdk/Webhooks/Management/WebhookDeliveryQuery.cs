namespace AutoCrm.Sdk.Webhooks;

/// <summary>Which deliveries to list (<see cref="WebhooksClient.ListDeliveriesAsync"/>); newest first.</summary>
public sealed record WebhookDeliveryQuery
{
    /// <summary>Only this endpoint's.</summary>
    public Guid? EndpointId { get; init; }

    /// <summary>Only deliveries in this state.</summary>
    public WebhookDeliveryState? State { get; init; }

    /// <summary>Only this event type.</summary>
    public WebhookEventType? EventType { get; init; }

    /// <summary>Only deliveries about this ticket.</summary>
    public Guid? TicketId { get; init; }

    /// <summary>Read each delivery's attempts along with it (<see cref="WebhookDelivery.Attempts"/>).</summary>
    public bool IncludeAttempts { get; init; }

    /// <summary>Deliveries per page, 1 to 1000 (default 100).</summary>
    public int PageSize { get; init; } = 100;
}
