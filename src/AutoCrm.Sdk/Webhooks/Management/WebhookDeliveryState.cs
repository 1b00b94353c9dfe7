using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>Where a delivery stands.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<WebhookDeliveryState>))]
public enum WebhookDeliveryState
{
    /// <summary>Waiting for its next attempt (or for an earlier delivery of the same ticket).</summary>
    Pending,

    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>Given up: retries ran out (3 days by default) or the receiver answered 410 Gone.</summary>
    Failed,
}
