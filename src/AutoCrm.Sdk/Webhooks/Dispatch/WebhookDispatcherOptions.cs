using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>
/// Settings of a <see cref="WebhookDispatcher"/>: the project and its service-role key, and how deliveries are sent,
/// retried and given up. The defaults follow docs/webhooks.md: a 10 s timeout per request, exponential backoff with
/// jitter from 30 s to 6 h, given up 3 days after the event, a circuit per endpoint.
/// </summary>
public sealed class WebhookDispatcherOptions
{
    /// <summary>The project URL, e.g. <c>http://127.0.0.1:54321</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>The service-role key: only the service role may lease and record deliveries. Keep it on the server.</summary>
    public string? ServiceRoleKey { get; set; }

    /// <summary>This dispatcher's name in the attempt log (default: machine name and process id).</summary>
    public string? Name { get; set; }

    /// <summary>How many due deliveries one lease takes (1–1000; default 64).</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>How many requests are in flight at once (1–256; default 16).</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>How long a lease holds a delivery for this dispatcher (default 5 minutes). It must cover a whole batch at
    /// <see cref="RequestTimeout"/> per request: a request that could still be running when the lease ends is not started.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an idle dispatcher waits before it asks for due deliveries again (default 2 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The timeout of one request to a receiver (default 10 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The delay before the first retry; each later retry doubles it, with jitter (default 30 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest delay between two attempts (default 6 hours).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How long after the event a delivery is retried before it is given up (default 3 days). The last
    /// attempt is made at the end of the window.</summary>
    public TimeSpan RetryWindow { get; set; } = TimeSpan.FromDays(3);

    /// <summary>The longest <c>Retry-After</c> a receiver may ask for (default 1 day); a longer one is cut to this.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The share of failed requests to one endpoint within <see cref="CircuitSamplingDuration"/> that opens its
    /// circuit (default 0.5).</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>How many requests to one endpoint must be seen in the sampling window before its circuit may open (default 10).</summary>
    public int CircuitMinimumThroughput { get; set; } = 10;

    /// <summary>The window over which an endpoint's failures are counted (default 1 minute).</summary>
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an open circuit stops requests to its endpoint; its deliveries wait that long (default 1 minute).</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The handler for requests to receivers (tests, proxies); by default a pooled handler that follows no redirects.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    /// <summary>The clock for attempt times, backoff and circuits (default: the system clock).</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Where the dispatcher logs (default: nowhere).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal WebhookDispatcherOptions Copy() => (WebhookDispatcherOptions)MemberwiseClone();

    /// <summary>Every problem with these settings, each naming its setting; empty when they are valid.</summary>
    internal IReadOnlyList<(string Field, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        if (Url is null || !Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add((nameof(Url), "Url must be an absolute http or https URL."));
        }

        if (string.IsNullOrWhiteSpace(ServiceRoleKey))
        {
            problems.Add((nameof(ServiceRoleKey), "ServiceRoleKey is required: only the service role leases webhook deliveries."));
        }

        if (BatchSize is < 1 or > 1000)
        {
            problems.Add((nameof(BatchSize), "BatchSize must be between 1 and 1000."));
        }

        if (MaxConcurrency is < 1 or > 256)
        {
            problems.Add((nameof(MaxConcurrency), "MaxConcurrency must be between 1 and 256."));
        }

        Positive(problems, nameof(PollInterval), PollInterval);
        Positive(problems, nameof(RequestTimeout), RequestTimeout);
        Positive(problems, nameof(RetryBaseDelay), RetryBaseDelay);
        Positive(problems, nameof(CircuitSamplingDuration), CircuitSamplingDuration);
        Positive(problems, nameof(CircuitBreakDuration), CircuitBreakDuration);
        Positive(problems, nameof(RetryWindow), RetryWindow);
        Positive(problems, nameof(MaxRetryAfter), MaxRetryAfter);
        if (RetryMaxDelay < RetryBaseDelay)
        {
            problems.Add((nameof(RetryMaxDelay), "RetryMaxDelay must not be shorter than RetryBaseDelay."));
        }

        var rounds = (BatchSize + Math.Max(MaxConcurrency, 1) - 1) / Math.Max(MaxConcurrency, 1);
        if (LeaseDuration.TotalSeconds is < 1 or > 3600 || LeaseDuration < RequestTimeout * (rounds + 1))
        {
            problems.Add((nameof(LeaseDuration), $"LeaseDuration must be 1 s to 1 h and cover a batch: at least RequestTimeout × {rounds + 1} (BatchSize / MaxConcurrency rounds, plus one)."));
        }

        if (CircuitFailureRatio is <= 0 or > 1)
        {
            problems.Add((nameof(CircuitFailureRatio), "CircuitFailureRatio must be above 0 and at most 1."));
        }

        if (CircuitMinimumThroughput < 2)
        {
            problems.Add((nameof(CircuitMinimumThroughput), "CircuitMinimumThroughput must be at least 2."));
        }

        return problems;
    }

    private static void Positive(List<(string, string)> problems, string field, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add((field, $"{field} must be positive."));
        }
    }
}
