using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoCrm.Sdk.AspNetCore;

/// <summary>
/// Receives AutoCRM webhooks in a minimal API: the route reads the raw body, verifies <c>AutoCrm-Signature</c> with
/// <see cref="WebhookSignature"/> (constant-time, replay window, the host's <see cref="TimeProvider"/> when one is
/// registered), parses the typed <see cref="WebhookEvent"/> (with <see cref="WebhookEvent.DeliveryId"/> from
/// <c>AutoCrm-Delivery</c>) and only then calls the handler.
/// </summary>
/// <remarks>
/// Answers: <c>400</c> with a problem document when the signature is missing, malformed, wrong or expired, or the body
/// is not an event (the handler is not called, the dispatcher retries and the delivery log shows the refusal);
/// <c>413</c> for a body over <see cref="WebhookReceiverOptions.MaxBodyBytes"/>; otherwise what the handler answers
/// (<c>200</c> when it writes nothing). An exception from the handler is a <c>500</c>, which the dispatcher retries: a
/// handler that fails part-way must be safe to run again for the same <see cref="WebhookEvent.DeliveryId"/>.
/// </remarks>
/// <example>
/// <code>
/// app.MapAutoCrmWebhook("/hooks/autocrm", secret, async (evt, ct) =>
/// {
///     if (evt.Type == WebhookEventType.TicketCreated) await inbox.AddAsync(evt.Ticket!, ct);
/// });
/// </code>
/// </example>
public static partial class WebhookEndpointRouteBuilderExtensions
{
    /// <summary>Maps <c>POST pattern</c> to a handler that gets only verified events.</summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="pattern">The route, e.g. <c>/hooks/autocrm</c>.</param>
    /// <param name="secret">The endpoint's secret (<c>whsec_…</c>).</param>
    /// <param name="handler">Called once per verified request with the event and the request's cancellation token.</param>
    /// <returns>The endpoint, to add metadata (authorization is not needed: the signature is the authentication).</returns>
    public static IEndpointConventionBuilder MapAutoCrmWebhook(
        this IEndpointRouteBuilder endpoints, string pattern, string secret, Func<WebhookEvent, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(handler);
        return endpoints.MapAutoCrmWebhook(pattern, new WebhookReceiverOptions { Secrets = [secret] },
            (evt, context) => handler(evt, context.RequestAborted));
    }

    /// <summary>Maps <c>POST pattern</c> to a handler that gets only verified events and may write its own answer.</summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="pattern">The route, e.g. <c>/hooks/autocrm</c>.</param>
    /// <param name="options">The secrets and limits.</param>
    /// <param name="handler">Called once per verified request with the event and the request.</param>
    /// <returns>The endpoint, to add metadata.</returns>
    /// <exception cref="CrmValidationException">No secret, a blank secret, a tolerance that is not positive, or a
    /// body limit that is not positive (code <c>invalid_value</c>).</exception>
    public static IEndpointConventionBuilder MapAutoCrmWebhook(
        this IEndpointRouteBuilder endpoints, string pattern, WebhookReceiverOptions options, Func<WebhookEvent, HttpContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options.Secrets);
        if (options.Secrets.Count == 0 || options.Secrets.Any(string.IsNullOrWhiteSpace))
        {
            throw Invalid("secrets", "A webhook receiver needs at least one secret, and none may be blank.");
        }

        if (options.Tolerance <= TimeSpan.Zero)
        {
            throw Invalid("tolerance", "The signature tolerance must be positive.");
        }

        if (options.MaxBodyBytes <= 0)
        {
            throw Invalid("max_body_bytes", "The body limit must be positive.");
        }

        var secrets = options.Secrets.ToArray();
        return endpoints.MapPost(pattern, context => ReceiveAsync(context, secrets, options, handler));
    }

    private static async Task ReceiveAsync(HttpContext context, string[] secrets, WebhookReceiverOptions options, Func<WebhookEvent, HttpContext, Task> handler)
    {
        var services = context.RequestServices;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("AutoCrm.Sdk.AspNetCore.Webhooks") ?? NullLogger.Instance;
        var body = await ReadBodyAsync(context.Request, options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "body_too_large",
                detail: $"The body is larger than {options.MaxBodyBytes} bytes.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        WebhookEvent evt;
        var deliveryHeader = context.Request.Headers[WebhookSignature.DeliveryHeader].ToString();
        try
        {
            var now = (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
            WebhookSignature.Verify(body, context.Request.Headers[WebhookSignature.SignatureHeader].ToString(), secrets, options.Tolerance, now);
            evt = WebhookEvent.Parse(body, Guid.TryParse(deliveryHeader, out var deliveryId) ? deliveryId : null);
        }
        catch (CrmException ex) when (ex is CrmWebhookSignatureException or CrmValidationException)
        {
            Log.Refused(logger, deliveryHeader, ex.Code ?? "refused");
            await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: ex.Code ?? "refused", detail: ex.Message)
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await handler(evt, context).ConfigureAwait(false);
    }

    // Reads at most limit bytes; null when the body is longer (the rest is left unread).
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is > 0 and var length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static CrmValidationException Invalid(string field, string message) =>
        new(new CrmErrorInfo { Status = 0, Code = "invalid_value", Field = field, Message = message, IsTransient = false });

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Refused an AutoCRM webhook request (delivery '{DeliveryId}'): {Code}")]
        public static partial void Refused(ILogger logger, string deliveryId, string code);
    }
}
