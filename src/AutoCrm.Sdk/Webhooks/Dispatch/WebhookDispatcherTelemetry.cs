using System.Diagnostics.Metrics;
using AutoCrm.Sdk.Internal;
using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>The dispatcher's metrics, on the SDK's <c>AutoCrm.Sdk</c> meter.</summary>
internal static class WebhookTelemetry
{
    public static readonly Counter<long> Attempts = CrmTelemetry.Meter.CreateCounter<long>(
        "autocrm.webhooks.attempts", description: "Webhook delivery attempts, by outcome (delivered, retry, failed, gone, deferred).");

    public static readonly Histogram<double> AttemptDuration = CrmTelemetry.Meter.CreateHistogram<double>(
        "autocrm.webhooks.attempt.duration", unit: "s", description: "Duration of webhook delivery attempts, by outcome.");
}

/// <summary>The dispatcher's log messages (event ids 100–119).</summary>
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Webhook dispatcher {Dispatcher} started")]
    public static partial void Started(ILogger logger, string dispatcher);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Webhook delivery {DeliveryId} ({Event}, attempt {Attempt}): {Outcome} {Status}; next attempt {RetryAt:O}")]
    public static partial void Attempted(ILogger logger, Guid deliveryId, string @event, int attempt, string outcome, int status, DateTimeOffset? retryAt);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Webhook dispatcher {Dispatcher} could not lease deliveries ({Code}); trying again after the poll interval")]
    public static partial void LeaseFailed(ILogger logger, string dispatcher, string? code, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId}: the outcome could not be recorded ({Code}); it is sent again when its lease ends")]
    public static partial void CompleteFailed(ILogger logger, Guid deliveryId, string? code, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId}: {Dispatcher}'s lease ended before the outcome was recorded (only the attempt is logged)")]
    public static partial void LeaseLost(ILogger logger, Guid deliveryId, string dispatcher);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId}: not sent by {Dispatcher}, too little of its lease is left; it is sent when the lease ends")]
    public static partial void LeaseTooShort(ILogger logger, Guid deliveryId, string dispatcher);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Webhook endpoint {EndpointId}: circuit opened for {BreakSeconds} s after repeated failures")]
    public static partial void CircuitOpened(ILogger logger, Guid endpointId, double breakSeconds);
}
