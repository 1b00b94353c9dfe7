using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>
/// Webhook endpoints and their delivery log (admins only; the database refuses everyone else): create, list, change,
/// rotate the secret, send a test event, list deliveries with their attempts, redeliver. Delivery itself is the
/// dispatcher's (<c>services.AddAutoCrmWebhookDispatcher(...)</c>). Get it from <see cref="CrmClient.Webhooks"/>.
/// </summary>
/// <example>
/// <code>
/// var created = await crm.Webhooks.CreateAsync(new NewWebhookEndpoint
/// {
///     Url = "https://example.com/hooks/autocrm",
///     Events = [WebhookEventType.TicketCreated, WebhookEventType.TicketStatusChanged],
/// });
/// SaveSecret(created.Secret); // shown this once
/// </code>
/// </example>
public class WebhooksClient
{
    private readonly RestClient _rest = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected WebhooksClient()
    {
    }

    internal WebhooksClient(RestClient rest) => _rest = rest;

    /// <summary>Creates an endpoint (<c>create_webhook_endpoint</c>) and returns it with its secret, which is never
    /// readable again. Not retried automatically (a repeat would create a second endpoint).</summary>
    /// <param name="endpoint">The endpoint.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The endpoint and its secret.</returns>
    /// <exception cref="CrmValidationException">The URL is not http(s), or an event type is unknown (field <c>url</c> or <c>events</c>).</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<CreatedWebhookEndpoint> CreateAsync(NewWebhookEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        using var activity = CrmTelemetry.StartCall("Webhooks.Create");
        try
        {
            Guard.NotBlank(endpoint.Url, "url");
            ArgumentNullException.ThrowIfNull(endpoint.Events);
            var result = await _rest.Rpc("create_webhook_endpoint", new JsonObject
            {
                ["url"] = endpoint.Url,
                ["events"] = EventsJson(endpoint.Events),
                ["description"] = endpoint.Description ?? "",
                ["internal_events"] = endpoint.InternalEvents,
            }).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            return Read(result, CrmJsonContext.Default.CreatedWebhookEndpoint, "create_webhook_endpoint");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Lists the endpoints, oldest first, counted.</summary>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (<see cref="CrmPage{T}.TotalCount"/> is exact).</returns>
    public virtual CrmPageable<WebhookEndpoint> ListAsync(CancellationToken cancellationToken = default) =>
        new RestListing<WebhookEndpoint>(
            _rest.From("webhook_endpoints"),
            new KeysetOrder("created_at", "id", Descending: false),
            Tickets.TicketsClient.ShortListPageSize,
            CrmJsonContext.Default.WebhookEndpoint,
            static e => (RestText.FormatTimestamp(e.CreatedAt), e.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Reads an endpoint.</summary>
    /// <param name="endpointId">The endpoint.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="CrmNotFoundException">No such endpoint, or the caller is not an admin.</exception>
    public virtual async Task<WebhookEndpoint> GetAsync(Guid endpointId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Webhooks.Get");
        try
        {
            return await GetCoreAsync(endpointId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Changes an endpoint: only the properties set on <paramref name="patch"/> are sent. Retried safely.</summary>
    /// <param name="endpointId">The endpoint.</param>
    /// <param name="patch">The change.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The endpoint after the change.</returns>
    /// <exception cref="CrmNotFoundException">No such endpoint, or the caller is not an admin.</exception>
    /// <exception cref="CrmValidationException">A refused URL or event type.</exception>
    public virtual async Task<WebhookEndpoint> UpdateAsync(Guid endpointId, WebhookEndpointPatch patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        using var activity = CrmTelemetry.StartCall("Webhooks.Update");
        try
        {
            var body = new JsonObject();
            if (patch.Url is { } url)
            {
                Guard.NotBlank(url, "url");
                body["url"] = url;
            }

            if (patch.Description is { } description)
            {
                body["description"] = description;
            }

            if (patch.Events is { } events)
            {
                body["events"] = EventsJson(events);
            }

            if (patch.InternalEvents is { } internalEvents)
            {
                body["internal_events"] = internalEvents;
            }

            if (patch.Active is { } active)
            {
                body["active"] = active;
            }

            if (body.Count == 0)
            {
                return await GetCoreAsync(endpointId, cancellationToken).ConfigureAwait(false);
            }

            var rows = await _rest.From("webhook_endpoints").Eq("id", endpointId).Update(body).AsIdempotent()
                .ToListAsync(CrmJsonContext.Default.WebhookEndpoint, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw CrmErrors.NotFound($"Webhook endpoint {endpointId}");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Deletes an endpoint with its deliveries and secrets.</summary>
    /// <param name="endpointId">The endpoint.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the endpoint is gone.</returns>
    public virtual async Task DeleteAsync(Guid endpointId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Webhooks.Delete");
        try
        {
            await _rest.From("webhook_endpoints").Eq("id", endpointId).Delete().AsIdempotent().ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>
    /// Replaces the endpoint's secret (<c>rotate_webhook_secret</c>). The previous secret keeps signing for
    /// <paramref name="overlap"/> (each delivery then carries two <c>v1</c> signatures), so the receiver switches without
    /// refusing a delivery. Not retried automatically (a repeat would rotate twice).
    /// </summary>
    /// <param name="endpointId">The endpoint.</param>
    /// <param name="overlap">How long the previous secret keeps signing: zero to seven days; 24 hours when omitted.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new secret (readable this once) and when the previous one stops.</returns>
    /// <exception cref="CrmValidationException">The overlap is out of range (field <c>overlap_seconds</c>).</exception>
    /// <exception cref="CrmNotFoundException">No such endpoint.</exception>
    public virtual async Task<WebhookSecretRotation> RotateSecretAsync(Guid endpointId, TimeSpan? overlap = null, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Webhooks.RotateSecret");
        try
        {
            var seconds = overlap is { } o ? (long)Math.Ceiling(o.TotalSeconds) : 86400;
            if (seconds is < 0 or > 604800)
            {
                throw CrmErrors.Invalid("overlap_seconds", "The overlap is between 0 and 604800 seconds (7 days).");
            }

            var result = await _rest.Rpc("rotate_webhook_secret", new JsonObject { ["endpoint_id"] = endpointId, ["overlap_seconds"] = seconds })
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            return Read(result, CrmJsonContext.Default.WebhookSecretRotation, "rotate_webhook_secret");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Queues a <c>webhook.test</c> event for the endpoint, whatever it subscribes to (<c>send_test_webhook</c>).
    /// A running dispatcher sends it like any other delivery.</summary>
    /// <param name="endpointId">The endpoint.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The queued delivery.</returns>
    /// <exception cref="CrmNotFoundException">No such endpoint.</exception>
    public virtual async Task<WebhookDelivery> SendTestAsync(Guid endpointId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Webhooks.SendTest");
        try
        {
            var result = await _rest.Rpc("send_test_webhook", new JsonObject { ["endpoint_id"] = endpointId }).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            return Read(Row(result), CrmJsonContext.Default.WebhookDelivery, "send_test_webhook");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Lists deliveries, newest first, optionally with their attempts (the delivery log).</summary>
    /// <param name="query">Filters; <see langword="null"/> for every delivery.</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing.</returns>
    /// <exception cref="CrmValidationException"><see cref="WebhookDeliveryQuery.PageSize"/> is out of range (field <c>page_size</c>).</exception>
    public virtual CrmPageable<WebhookDelivery> ListDeliveriesAsync(WebhookDeliveryQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new WebhookDeliveryQuery();
        Guard.InRange(query.PageSize, 1, 1000, "page_size");
        var rows = DeliveryRows(query.IncludeAttempts);
        if (query.EndpointId is { } endpoint)
        {
            rows = rows.Eq("endpoint_id", endpoint);
        }

        if (query.State is { } state)
        {
            rows = rows.Eq("state", state);
        }

        if (query.EventType is { } type)
        {
            rows = rows.Eq("event_type", type.Value);
        }

        if (query.TicketId is { } ticket)
        {
            rows = rows.Eq("ticket_id", ticket);
        }

        return new RestListing<WebhookDelivery>(
            rows,
            new KeysetOrder(null, "seq", Descending: true),
            query.PageSize,
            CrmJsonContext.Default.WebhookDelivery,
            static d => (null, d.Seq.ToString(CultureInfo.InvariantCulture)),
            count: null,
            cancellationToken);
    }

    /// <summary>Reads one delivery with its attempts.</summary>
    /// <param name="deliveryId">The delivery.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The delivery.</returns>
    /// <exception cref="CrmNotFoundException">No such delivery, or the caller is not an admin.</exception>
    public virtual async Task<WebhookDelivery> GetDeliveryAsync(Guid deliveryId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Webhooks.GetDelivery");
        try
        {
            return await DeliveryRows(includeAttempts: true).Eq("id", deliveryId)
                .SingleAsync(CrmJsonContext.Default.WebhookDelivery, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            var notFound = CrmErrors.NotFound($"Webhook delivery {deliveryId}", ex);
            CrmTelemetry.RecordFailure(activity, notFound);
            throw notFound;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sends a delivery again, with the same delivery id, whatever its state (<c>redeliver_webhook</c>). Retried safely.</summary>
    /// <param name="deliveryId">The delivery.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The delivery, pending again.</returns>
    /// <exception cref="CrmNotFoundException">No such delivery.</exception>
    public virtual async Task<WebhookDelivery> RedeliverAsync(Guid deliveryId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Webhooks.Redeliver");
        try
        {
            var result = await _rest.Rpc("redeliver_webhook", new JsonObject { ["delivery_id"] = deliveryId }).AsIdempotent()
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            return Read(Row(result), CrmJsonContext.Default.WebhookDelivery, "redeliver_webhook");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private RestQuery DeliveryRows(bool includeAttempts) => includeAttempts
        ? _rest.From("webhook_deliveries").Select("*,attempts:webhook_delivery_attempts(*)").Order("id", referencedTable: "attempts")
        : _rest.From("webhook_deliveries").Select("*");

    private async Task<WebhookEndpoint> GetCoreAsync(Guid endpointId, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.From("webhook_endpoints").Eq("id", endpointId).SingleAsync(CrmJsonContext.Default.WebhookEndpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw CrmErrors.NotFound($"Webhook endpoint {endpointId}", ex);
        }
    }

    private static JsonArray EventsJson(IReadOnlyList<WebhookEventType> events)
    {
        var array = new JsonArray();
        foreach (var type in events)
        {
            array.Add((JsonNode?)JsonValue.Create(type.Value));
        }

        return array;
    }

    /// <summary>A function returning one composite answers with an object or a one-row array.</summary>
    private static JsonElement Row(JsonElement result) =>
        result.ValueKind == JsonValueKind.Array && result.GetArrayLength() > 0 ? result[0] : result;

    private static T Read<T>(JsonElement json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return json.Deserialize(type) ?? throw new JsonException("The answer was null.");
        }
        catch (JsonException ex)
        {
            throw CrmErrors.InvalidResponse(what, ex);
        }
    }
}
