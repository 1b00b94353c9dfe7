using System.Text;
using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>
/// A webhook event as a receiver reads it: the body <c>{"id", "type", "created_at", "data"}</c>, with the parts of
/// <c>data</c> that AutoCRM's own events carry already typed (the ticket and message in the same shapes the REST API
/// returns, and the changed fields). Verify the signature first (<see cref="WebhookSignature"/>), then <see cref="Parse(string)"/>.
/// </summary>
/// <example>
/// <code>
/// var evt = WebhookEvent.Parse(body);
/// if (evt.Type == WebhookEventType.TicketStatusChanged) Console.WriteLine($"{evt.Ticket!.Number}: {evt.Changes!["status"].New}");
/// </code>
/// </example>
public sealed record WebhookEvent
{
    /// <summary>The event id (one event sent to several endpoints has one id).</summary>
    public required Guid Id { get; init; }

    /// <summary>The event type.</summary>
    public required WebhookEventType Type { get; init; }

    /// <summary>When the change happened (its transaction's time).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The <c>AutoCrm-Delivery</c> header when the event was read from a request (the same on every retry: drop
    /// duplicates by it); <see langword="null"/> when parsed from a body alone.</summary>
    public Guid? DeliveryId { get; init; }

    /// <summary>The whole <c>data</c> object, for event types whose data this SDK does not type (<c>sla.breached</c>,
    /// <c>rule.notify</c>, types added later).</summary>
    public JsonElement Data { get; init; }

    /// <summary>The ticket (<c>data.ticket</c>) for <c>ticket.*</c> events, after the change.</summary>
    public Ticket? Ticket { get; init; }

    /// <summary>The message (<c>data.message</c>) for <c>message.created</c>.</summary>
    public TicketMessage? Message { get; init; }

    /// <summary>The changed fields (<c>data.changes</c>, <c>{"field": [old, new]}</c>) for <c>ticket.updated</c>,
    /// <c>ticket.status_changed</c> and <c>ticket.assigned</c>.</summary>
    public IReadOnlyDictionary<string, TicketFieldChange>? Changes { get; init; }

    /// <summary>Reads an event from a request body.</summary>
    /// <param name="body">The body.</param>
    /// <returns>The event.</returns>
    /// <exception cref="CrmValidationException">The body is not a webhook event (code <c>invalid_payload</c>).</exception>
    public static WebhookEvent Parse(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Parse(Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Reads an event from a request body.</summary>
    /// <param name="utf8Body">The body bytes.</param>
    /// <param name="deliveryId">The <c>AutoCrm-Delivery</c> header, if known.</param>
    /// <returns>The event.</returns>
    /// <exception cref="CrmValidationException">The body is not a webhook event (code <c>invalid_payload</c>).</exception>
    public static WebhookEvent Parse(ReadOnlySpan<byte> utf8Body, Guid? deliveryId = null)
    {
        try
        {
            var envelope = JsonSerializer.Deserialize(utf8Body, CrmJsonContext.Default.WebhookEnvelope)
                ?? throw new JsonException("The body is null.");
            if (envelope.Id == Guid.Empty || envelope.Type.Value.Length == 0 || envelope.Data.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException("A webhook event has an id, a type and a data object.");
            }

            var data = envelope.Data;
            return new WebhookEvent
            {
                Id = envelope.Id,
                Type = envelope.Type,
                CreatedAt = envelope.CreatedAt,
                DeliveryId = deliveryId,
                Data = data,
                Ticket = data.TryGetProperty("ticket", out var ticket) && ticket.ValueKind == JsonValueKind.Object
                    ? ticket.Deserialize(CrmJsonContext.Default.Ticket) : null,
                Message = data.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
                    ? message.Deserialize(CrmJsonContext.Default.TicketMessage) : null,
                Changes = data.TryGetProperty("changes", out var changes) && changes.ValueKind == JsonValueKind.Object
                    ? changes.Deserialize(CrmJsonContext.Default.DictionaryStringTicketFieldChange) : null,
            };
        }
        catch (JsonException ex)
        {
            throw new CrmValidationException(
                new CrmErrorInfo { Status = 400, Code = "invalid_payload", Field = "body", Message = "The request body is not an AutoCRM webhook event: " + ex.Message, IsTransient = false },
                ex);
        }
    }
}
