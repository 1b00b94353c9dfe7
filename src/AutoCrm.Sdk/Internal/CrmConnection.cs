using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using AutoCrm.Sdk.Auth;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace AutoCrm.Sdk.Internal;

/// <summary>
/// What every client bound to one project shares: the HTTP client, the resilience pipeline, the project URL and key,
/// time and logging. <see cref="CrmClient.WithSession(ISessionStore)"/> and <see cref="CrmClient.ForUser"/> reuse it as is.
/// </summary>
internal sealed class CrmConnection
{
    private static readonly ResiliencePropertyKey<CrmRequest> RequestKey = new("AutoCrm.Request");
    private static readonly ResiliencePropertyKey<int> AttemptKey = new("AutoCrm.Attempt");
    private static readonly MediaTypeHeaderValue JsonContentType = MediaTypeHeaderValue.Parse("application/json");

    private readonly Func<HttpClient> _httpClient;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    /// <summary>One refresh flight per session store (by reference), held only as long as the store lives.</summary>
    private readonly ConditionalWeakTable<ISessionStore, RefreshFlight> _flights = new();

    public CrmConnection(CrmClientOptions options, Func<HttpClient> httpClient)
    {
        var url = options.Url!.AbsoluteUri;
        ProjectUrl = new Uri(url.EndsWith('/') ? url : url + "/");
        ApiKey = options.ApiKey!;
        IsAnonymousKey = ApiKey.StartsWith("sb_publishable_", StringComparison.Ordinal) || JwtClaims.TryGetRole(ApiKey) == "anon";
        Schema = options.Schema;
        TimeProvider = options.TimeProvider ?? TimeProvider.System;
        LoggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        Realtime = options.Realtime;
        Logger = LoggerFactory.CreateLogger("AutoCrm.Sdk");
        AutoRefreshToken = options.AutoRefreshToken;
        RefreshAhead = options.RefreshAhead;
        _httpClient = httpClient;
        _pipeline = BuildPipeline(options);
        SchemaCheck = new SchemaVersionCheck(this);
    }

    /// <summary>The project URL, always ending with '/'.</summary>
    public Uri ProjectUrl { get; }

    public string ApiKey { get; }

    public string Schema { get; }

    /// <summary>Whether the project key is the anon (publishable) key, which acts as nobody: calls that need a user refuse
    /// to run with it alone. Keys of other or unknown shapes (service keys, custom keys) act as themselves.</summary>
    public bool IsAnonymousKey { get; }

    public TimeProvider TimeProvider { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The realtime client's settings.</summary>
    public Realtime.RealtimeOptions Realtime { get; }

    public ILogger Logger { get; }

    public bool AutoRefreshToken { get; }

    public TimeSpan RefreshAhead { get; }

    /// <summary>Explains a missing function or table as an outdated database, once per connection.</summary>
    public SchemaVersionCheck SchemaCheck { get; }

    /// <summary>The refresh flight shared by every client of this connection whose session lives in <paramref name="store"/>.</summary>
    public RefreshFlight FlightFor(ISessionStore store) => _flights.GetValue(store, static _ => new RefreshFlight());

    /// <summary>Sends the request through the pipeline; returns a successful response with its body buffered,
    /// or throws a <see cref="CrmException"/>. The caller disposes the response.</summary>
    public async Task<HttpResponseMessage> SendAsync(CrmRequest request, CancellationToken cancellationToken)
    {
        var started = TimeProvider.GetTimestamp();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(static (ctx, self) => self.SendOnceAsync(ctx), context, this).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            Record(request, 0, started);
            throw new CrmException(
                new CrmErrorInfo { Message = $"{request.Method} {request.LogPath} timed out after {ex.Timeout.TotalSeconds:0.###} s.", Code = "timeout", IsTransient = true },
                ex);
        }
        catch (HttpRequestException ex)
        {
            Record(request, 0, started);
            throw new CrmException(
                new CrmErrorInfo { Message = $"{request.Method} {request.LogPath} failed before a response arrived: {ex.Message}", Code = "transport", IsTransient = true },
                ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        var status = (int)response.StatusCode;
        Record(request, status, started);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await CrmErrors.FromResponseAsync(response, TimeProvider, cancellationToken).ConfigureAwait(false);
            Log.RequestFailed(Logger, request.Method.Method, request.LogPath, status, error.Code);
            if (SchemaCheck.MayMeanOldSchema(request, error))
            {
                throw await SchemaCheck.ExplainAsync(error, cancellationToken).ConfigureAwait(false);
            }

            throw error;
        }
    }

    private void Record(CrmRequest request, int status, long started)
    {
        var elapsed = TimeProvider.GetElapsedTime(started);
        CrmTelemetry.RequestDuration.Record(
            elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("http.request.method", request.Method.Method),
            new KeyValuePair<string, object?>("http.response.status_code", status),
            new KeyValuePair<string, object?>("autocrm.service", request.IsAuth ? "auth" : "rest"));
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            Log.RequestCompleted(Logger, request.Method.Method, request.LogPath, status, elapsed.TotalMilliseconds);
        }
    }

    private async ValueTask<HttpResponseMessage> SendOnceAsync(ResilienceContext context)
    {
        var request = context.Properties.GetValue(RequestKey, null!);
        using var message = new HttpRequestMessage(request.Method, new Uri(ProjectUrl, request.PathAndQuery));
        var headers = message.Headers;
        headers.TryAddWithoutValidation("apikey", ApiKey);
        headers.TryAddWithoutValidation("Authorization", "Bearer " + (request.BearerToken ?? ApiKey));
        headers.TryAddWithoutValidation("X-Client-Info", "autocrm-sdk/0.1.0");
        headers.TryAddWithoutValidation("Accept", request.Accept ?? "application/json");
        if (request.IsAuth)
        {
            headers.TryAddWithoutValidation("X-Supabase-Api-Version", "2024-01-01");
        }

        if (request.Prefer is not null)
        {
            headers.TryAddWithoutValidation("Prefer", request.Prefer);
        }

        if (request.AcceptProfile is not null)
        {
            headers.TryAddWithoutValidation("Accept-Profile", request.AcceptProfile);
        }

        if (request.ContentProfile is not null)
        {
            headers.TryAddWithoutValidation("Content-Profile", request.ContentProfile);
        }

        var attempt = context.Properties.GetValue(AttemptKey, 0);
        if (attempt > 0)
        {
            headers.TryAddWithoutValidation("X-Retry-Count", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = JsonContentType;
        }
        else if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head)
        {
            // PostgREST clients always declare JSON on writes, even for a bodiless DELETE.
            message.Content = new ByteArrayContent([]);
            message.Content.Headers.ContentType = JsonContentType;
        }

        return await _httpClient().SendAsync(message, HttpCompletionOption.ResponseContentRead, context.CancellationToken).ConfigureAwait(false);
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline(CrmClientOptions options)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = TimeProvider };
        builder.AddTimeout(options.Timeout);
        if (options.MaxRetries > 0)
        {
            var maxDelay = options.RetryMaxDelay;
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = maxDelay,
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Context.Properties.GetValue(RequestKey, null!) is { Retryable: true } request
                    && IsTransient(args.Outcome)
                    && !IsAuthRateLimitWithoutHint(request, args.Outcome.Result)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, maxDelay)),
                OnRetry = args =>
                {
                    args.Context.Properties.Set(AttemptKey, args.AttemptNumber + 1);
                    var request = args.Context.Properties.GetValue(RequestKey, null!);
                    var reason = args.Outcome.Exception?.GetType().Name
                        ?? ((int?)args.Outcome.Result?.StatusCode)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
                    Log.Retrying(Logger, request.Method.Method, request.LogPath, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, reason);
                    Activity.Current?.AddEvent(new ActivityEvent("retry"));
                    return default;
                },
            });
        }

        builder.AddTimeout(options.AttemptTimeout);
        return builder.Build();
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Exception: null, Result: { } response } => CrmException.IsTransientStatus((int)response.StatusCode),
        _ => false,
    };

    /// <summary>
    /// GoTrue answers 429 <c>over_request_rate_limit</c> without <c>Retry-After</c> and refills its buckets over minutes,
    /// so an Auth retry after a second of backoff only spends another token of the caller's budget.
    /// </summary>
    private static bool IsAuthRateLimitWithoutHint(CrmRequest request, HttpResponseMessage? response) =>
        request.IsAuth && response is { StatusCode: HttpStatusCode.TooManyRequests } && response.Headers.RetryAfter is null;

    private TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan maxDelay)
    {
        var retryAfter = response is null ? null : CrmErrors.ParseRetryAfter(response, TimeProvider);
        return retryAfter is { } delay ? (delay > maxDelay ? maxDelay : delay) : null;
    }

    internal static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;
}
