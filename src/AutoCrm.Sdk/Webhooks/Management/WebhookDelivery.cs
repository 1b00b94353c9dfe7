using System.Text.Json;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>One event on its way to one endpoint (a row of the outbox, <c>public.webhook_deliveries</c>; admins only).</summary>
public sealed record WebhookDelivery
{
    /// <summary>The delivery id, sent as <c>AutoCrm-Delivery</c>: the same on every retry and redelivery, so receivers can
    /// drop duplicates by it.</summary>
    public required Guid Id { get; init; }

    /// <summary>The outbox position (increasing); listings are ordered by it.</summary>
    public long Seq { get; init; }

    /// <summary>The endpoint.</summary>
    public Guid EndpointId { get; init; }

    /// <summary>The event id (<c>id</c> in the body): one event delivered to several endpoints has one event id.</summary>
    public Guid EventId { get; init; }

    /// <summary>The event type.</summary>
    public WebhookEventType EventType { get; init; }

    /// <summary>The ticket the event is about, if any.</summary>
    public Guid? TicketId { get; init; }

    /// <summary>The exact JSON body the receiver gets (<c>{"id", "type", "created_at", "data"}</c>).</summary>
    public JsonElement Payload { get; init; }

    /// <summary>Where it stands.</summary>
    public WebhookDeliveryState State { get; init; }

    /// <summary>How many attempts were made.</summary>
    public int AttemptCount { get; init; }

    /// <summary>When the next attempt is due (while <see cref="WebhookDeliveryState.Pending"/>).</summary>
    public DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>The receiver's last HTTP status, if any.</summary>
    public int? LastStatusCode { get; init; }

    /// <summary>The last error, if any.</summary>
    public string? LastError { get; init; }

    /// <summary>When the receiver accepted it, if it did.</summary>
    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>When the event happened (the outbox row was written in its transaction).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The attempts, oldest first, when they were requested (<see cref="WebhookDeliveryQuery.IncludeAttempts"/>);
    /// otherwise <see langword="null"/>.</summary>
    public IReadOnlyList<WebhookDeliveryAttempt>? Attempts { get; init; }
}
