using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using AutoCrm.Sdk.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>
/// Sends the webhook outbox: leases due deliveries from the database (each to one dispatcher at a time), posts each
/// signed body to its endpoint, and records the outcome — delivered, retried later with exponential backoff and jitter
/// (or when the receiver's <c>Retry-After</c> says), given up after the retry window, or, for 410 Gone, the endpoint
/// disabled. The database signs the requests; this class never sees a secret. Several dispatchers may run at once,
/// in one process or many. In a host, register it with <c>services.AddAutoCrmWebhookDispatcher(...)</c>.
/// </summary>
/// <example>
/// <code>
/// using var dispatcher = new WebhookDispatcher(new WebhookDispatcherOptions { Url = projectUrl, ServiceRoleKey = serviceKey });
/// await dispatcher.RunAsync(stoppingToken);
/// </code>
/// </example>
public sealed class WebhookDispatcher : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
    private static readonly ProductInfoHeaderValue UserAgent = new("AutoCrm-Webhooks", "1.0");

    private readonly WebhookDispatcherOptions _options;
    private readonly CrmClient _crm;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WebhookRetrySchedule _schedule;
    private readonly ConcurrentDictionary<Guid, ResiliencePipeline<HttpResponseMessage>> _circuits = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _openCircuits = new();
    private int _disposed;

    /// <summary>Creates a dispatcher; nothing is sent until <see cref="DispatchDueAsync"/> or <see cref="RunAsync"/>.</summary>
    /// <param name="options">The settings; copied, so later changes have no effect.</param>
    /// <exception cref="CrmValidationException">The options are invalid (code <c>invalid_options</c>; <see cref="CrmValidationException.Field"/> names the first bad setting).</exception>
    public WebhookDispatcher(WebhookDispatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new CrmValidationException(new CrmErrorInfo
            {
                Status = 0,
                Code = "invalid_options",
                Field = problems[0].Field,
                Message = string.Join(" ", problems.Select(p => p.Message)),
                IsTransient = false,
            });
        }

        _options = options.Copy();
        _time = _options.TimeProvider ?? TimeProvider.System;
        _logger = (_options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("AutoCrm.Sdk.Webhooks");
        _schedule = new WebhookRetrySchedule(_options);
        Name = string.IsNullOrWhiteSpace(_options.Name)
            ? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}"
            : _options.Name.Trim();
        _crm = new CrmClient(new CrmClientOptions
        {
            Url = _options.Url,
            ApiKey = _options.ServiceRoleKey,
            TimeProvider = _time,
            LoggerFactory = _options.LoggerFactory,
        });
        _http = new HttpClient(
            _options.HttpMessageHandler ?? new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) },
            disposeHandler: _options.HttpMessageHandler is null)
        {
            // The resilience pipeline owns the request timeout.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>This dispatcher's name in the attempt log.</summary>
    public string Name { get; }

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled: sends whatever is due, and waits
    /// <see cref="WebhookDispatcherOptions.PollInterval"/> when nothing is. A failing database call is logged and tried
    /// again after the same wait. Cancelling stops at once: deliveries in flight stay leased until their lease ends and
    /// are then sent again with the same delivery id.
    /// </summary>
    /// <param name="cancellationToken">Stops the dispatcher.</param>
    /// <returns>A task that ends (cancelled) when the dispatcher stops.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        WebhookLog.Started(_logger, Name);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int leased;
            try
            {
                leased = await DispatchDueAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (CrmException ex)
            {
                WebhookLog.LeaseFailed(_logger, Name, ex.Code, ex);
                leased = 0;
            }

            if (leased == 0)
            {
                await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Leases one batch of due deliveries (at most <see cref="WebhookDispatcherOptions.BatchSize"/>), sends them
    /// (<see cref="WebhookDispatcherOptions.MaxConcurrency"/> at a time) and records each outcome.
    /// </summary>
    /// <param name="cancellationToken">Stops sending; deliveries not recorded yet stay leased until their lease ends.</param>
    /// <returns>How many deliveries were leased (0: nothing was due).</returns>
    /// <exception cref="CrmException">The lease failed (the database cannot be reached, or the key is not the service role's).</exception>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var activity = CrmTelemetry.StartCall("Webhooks.DispatchDue");
        try
        {
            var now = _time.GetUtcNow();
            var arguments = new WebhookLeaseArguments(
                _options.BatchSize, (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds), Name, now, OpenCircuits(now));
            var leased = await _crm.Rest.Rpc("lease_webhook_deliveries", arguments, CrmJsonContext.Default.WebhookLeaseArguments)
                .ToListAsync(CrmJsonContext.Default.LeasedWebhookDelivery, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("autocrm.webhook.leased", leased.Count);
            if (leased.Count == 0)
            {
                return 0;
            }

            // A request still running when the lease ends could overlap a second dispatcher's attempt: start none that late.
            var lastStart = now + TimeSpan.FromSeconds(arguments.LeaseSeconds) - _options.RequestTimeout - TimeSpan.FromSeconds(1);
            await Parallel.ForEachAsync(
                leased,
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                (delivery, token) => new ValueTask(DeliverAsync(delivery, lastStart, token))).ConfigureAwait(false);
            return leased.Count;
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Stops the HTTP clients. Deliveries still leased are sent again by any dispatcher when their lease ends.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _http.Dispose();
        _crm.Dispose();
    }

    private Guid[] OpenCircuits(DateTimeOffset now)
    {
        foreach (var (endpoint, until) in _openCircuits)
        {
            if (until <= now)
            {
                _openCircuits.TryRemove(endpoint, out _);
            }
        }

        return [.. _openCircuits.Keys];
    }

    private async Task DeliverAsync(LeasedWebhookDelivery delivery, DateTimeOffset lastStart, CancellationToken cancellationToken)
    {
        if (_time.GetUtcNow() > lastStart)
        {
            WebhookLog.LeaseTooShort(_logger, delivery.DeliveryId, Name);
            return;
        }

        using var activity = CrmTelemetry.ActivitySource.StartActivity("Webhooks.Deliver", ActivityKind.Client);
        activity?.SetTag("autocrm.webhook.delivery_id", delivery.DeliveryId);
        activity?.SetTag("autocrm.webhook.endpoint_id", delivery.EndpointId);
        activity?.SetTag("autocrm.webhook.event", delivery.EventType);
        activity?.SetTag("autocrm.webhook.attempt", delivery.Attempt);

        var started = _time.GetTimestamp();
        var attempt = await AttemptAsync(delivery, cancellationToken).ConfigureAwait(false);
        var elapsed = _time.GetElapsedTime(started);
        activity?.SetTag("autocrm.webhook.outcome", attempt.Outcome);
        if (attempt.StatusCode is { } status)
        {
            activity?.SetTag("http.response.status_code", status);
        }

        if (attempt.Outcome is not "delivered")
        {
            activity?.SetStatus(ActivityStatusCode.Error, attempt.Error);
        }

        WebhookTelemetry.Attempts.Add(1, new KeyValuePair<string, object?>("autocrm.webhook.outcome", attempt.Outcome));
        WebhookTelemetry.AttemptDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("autocrm.webhook.outcome", attempt.Outcome));
        WebhookLog.Attempted(_logger, delivery.DeliveryId, delivery.EventType, delivery.Attempt, attempt.Outcome, attempt.StatusCode ?? 0, attempt.RetryAt);

        var completion = new WebhookCompletion(
            delivery.DeliveryId,
            delivery.LeaseId,
            attempt.Outcome,
            attempt.StatusCode,
            attempt.Error,
            attempt.RetryAt,
            attempt.Outcome == "deferred" ? null : (int)Math.Min(elapsed.TotalMilliseconds, int.MaxValue),
            Name,
            _time.GetUtcNow());
        try
        {
            var recorded = await _crm.Rest.Rpc("complete_webhook_delivery", completion, CrmJsonContext.Default.WebhookCompletion)
                .ToJsonAsync(cancellationToken).ConfigureAwait(false);
            if (recorded.ValueKind == System.Text.Json.JsonValueKind.False)
            {
                WebhookLog.LeaseLost(_logger, delivery.DeliveryId, Name);
            }
        }
        catch (CrmException ex)
        {
            // The lease runs out and the delivery is sent again with the same delivery id: at least once, never lost.
            WebhookLog.CompleteFailed(_logger, delivery.DeliveryId, ex.Code, ex);
        }
    }

    private async Task<WebhookAttempt> AttemptAsync(LeasedWebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var circuit = _circuits.GetOrAdd(delivery.EndpointId, BuildCircuit);
        try
        {
            using var response = await circuit.ExecuteAsync(
                static (state, token) => state.Self.SendAsync(state.Delivery, token),
                (Self: this, Delivery: delivery),
                cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new WebhookAttempt("delivered", status, null, null);
            }

            if (response.StatusCode == HttpStatusCode.Gone)
            {
                return new WebhookAttempt("gone", status, "The receiver answered 410 Gone: the endpoint is disabled.", null);
            }

            var now = _time.GetUtcNow();
            var error = $"The receiver answered {status} {response.ReasonPhrase}".TrimEnd() + ".";
            return Retry(delivery, status, error, CrmErrors.ParseRetryAfter(response, _time), now);
        }
        catch (BrokenCircuitException ex)
        {
            var until = _time.GetUtcNow() + (ex.RetryAfter ?? _options.CircuitBreakDuration);
            return new WebhookAttempt("deferred", null, "The endpoint's circuit is open after repeated failures.", until);
        }
        catch (TimeoutRejectedException) when (!cancellationToken.IsCancellationRequested)
        {
            var error = $"No answer within {_options.RequestTimeout.TotalSeconds:0.###} s.";
            return Retry(delivery, null, error, null, _time.GetUtcNow());
        }
        catch (HttpRequestException ex)
        {
            return Retry(delivery, null, "The request failed: " + ex.Message, null, _time.GetUtcNow());
        }
    }

    private WebhookAttempt Retry(LeasedWebhookDelivery delivery, int? status, string error, TimeSpan? retryAfter, DateTimeOffset now) =>
        _schedule.NextAttempt(delivery.CreatedAt, delivery.Attempt, now, retryAfter) is { } next
            ? new WebhookAttempt("retry", status, error, next)
            : new WebhookAttempt("failed", status, error + " Given up: the retry window is over.", null);

    private async ValueTask<HttpResponseMessage> SendAsync(LeasedWebhookDelivery delivery, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(delivery.Body)),
        };
        request.Content.Headers.ContentType = JsonContentType;
        request.Headers.UserAgent.Add(UserAgent);
        if (delivery.Signature is { } signature)
        {
            request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, signature);
        }

        request.Headers.TryAddWithoutValidation(WebhookSignature.EventHeader, delivery.EventType);
        request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, delivery.DeliveryId.ToString());
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    private ResiliencePipeline<HttpResponseMessage> BuildCircuit(Guid endpoint) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = _options.CircuitFailureRatio,
                MinimumThroughput = _options.CircuitMinimumThroughput,
                SamplingDuration = _options.CircuitSamplingDuration,
                BreakDuration = _options.CircuitBreakDuration,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException or TimeoutRejectedException } => true,
                    { Result: { } response } => !response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.Gone,
                    _ => false,
                }),
                OnOpened = args =>
                {
                    _openCircuits[endpoint] = _time.GetUtcNow() + args.BreakDuration;
                    WebhookLog.CircuitOpened(_logger, endpoint, args.BreakDuration.TotalSeconds);
                    return default;
                },
                OnHalfOpened = halfOpened =>
                {
                    _openCircuits.TryRemove(endpoint, out var _);
                    return default;
                },
                OnClosed = closed =>
                {
                    _openCircuits.TryRemove(endpoint, out var _);
                    return default;
                },
            })
            .AddTimeout(_options.RequestTimeout)
            .Build();

    private readonly record struct WebhookAttempt(string Outcome, int? StatusCode, string? Error, DateTimeOffset? RetryAt);
}
