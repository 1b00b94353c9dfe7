using System.Text.Json;
using System.Text.Json.Serialization;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>
/// The type of a webhook event (<c>ticket.created</c>, …), sent as <c>AutoCrm-Event</c> and as <c>type</c> in the body. An
/// extensible enumeration: the known types are static properties, and a type added later by another feature still reads,
/// with its spelling in <see cref="Value"/>. Compare with <c>==</c>.
/// </summary>
/// <example><code>if (evt.Type == WebhookEventType.TicketCreated) { ... }</code></example>
[JsonConverter(typeof(WebhookEventTypeConverter))]
public readonly struct WebhookEventType : IEquatable<WebhookEventType>
{
    private readonly string? _value;

    /// <summary>Creates a type from its spelling.</summary>
    /// <param name="value">The spelling, e.g. <c>ticket.created</c>.</param>
    public WebhookEventType(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary>A ticket was created (<c>ticket.created</c>); <see cref="WebhookEvent.Ticket"/> is the new ticket.</summary>
    public static WebhookEventType TicketCreated { get; } = new("ticket.created");

    /// <summary>Fields of a ticket changed (<c>ticket.updated</c>); <see cref="WebhookEvent.Changes"/> says which.</summary>
    public static WebhookEventType TicketUpdated { get; } = new("ticket.updated");

    /// <summary>The status of a ticket changed (<c>ticket.status_changed</c>).</summary>
    public static WebhookEventType TicketStatusChanged { get; } = new("ticket.status_changed");

    /// <summary>The assignee of a ticket changed: claimed, assigned or released (<c>ticket.assigned</c>).</summary>
    public static WebhookEventType TicketAssigned { get; } = new("ticket.assigned");

    /// <summary>A message was added to a conversation (<c>message.created</c>); internal notes only reach endpoints that
    /// subscribe to internal events.</summary>
    public static WebhookEventType MessageCreated { get; } = new("message.created");

    /// <summary>An SLA target of a ticket was missed (<c>sla.breached</c>, emitted by SLA policies).</summary>
    public static WebhookEventType SlaBreached { get; } = new("sla.breached");

    /// <summary>An automation rule's notify action ran (<c>rule.notify</c>, emitted by automation rules).</summary>
    public static WebhookEventType RuleNotify { get; } = new("rule.notify");

    /// <summary>A test event sent on request (<c>webhook.test</c>), whatever the endpoint subscribes to.</summary>
    public static WebhookEventType Test { get; } = new("webhook.test");

    /// <summary>The spelling.</summary>
    public string Value => _value ?? "";

    /// <summary>Whether two types are the same.</summary>
    /// <param name="left">One type.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(WebhookEventType left, WebhookEventType right) => left.Equals(right);

    /// <summary>Whether two types differ.</summary>
    /// <param name="left">One type.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(WebhookEventType left, WebhookEventType right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(WebhookEventType other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is WebhookEventType other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>The spelling.</summary>
    /// <returns><see cref="Value"/>.</returns>
    public override string ToString() => Value;
}

/// <summary>Reads and writes a <see cref="WebhookEventType"/> as its JSON string.</summary>
internal sealed class WebhookEventTypeConverter : JsonConverter<WebhookEventType>
{
    public override WebhookEventType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? new WebhookEventType(reader.GetString()!) : throw new JsonException("A webhook event type is a string.");

    public override void Write(Utf8JsonWriter writer, WebhookEventType value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}
