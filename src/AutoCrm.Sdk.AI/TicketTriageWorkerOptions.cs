using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.AI;

/// <summary>Settings of a <see cref="TicketTriageWorker"/>.</summary>
public sealed class TicketTriageWorkerOptions
{
    /// <summary>The project's URL (required).</summary>
    public Uri? Url { get; set; }

    /// <summary>The service-role key (required: only the service role may lease triage jobs). Never ship it to clients.</summary>
    public string? ServiceRoleKey { get; set; }

    /// <summary>Settings of the assistant the worker asks (model id, the tags triage may choose from).</summary>
    public TicketAssistantOptions Assistant { get; set; } = new();

    /// <summary>Jobs leased at once (1–100; default 10). They are triaged one after another.</summary>
    public int BatchSize { get; set; } = 10;

    /// <summary>How long a lease lasts (1 minute to 1 hour; default 5 minutes): a worker that dies holding jobs delays them this long.
    /// It must cover a batch of model calls.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The wait when nothing is due (100 ms to 5 minutes; default 5 s).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts before a ticket is given up (1–20; default 5). A given-up job keeps its last error in the queue.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait after the first failure, doubled after each one, at most an hour (1 s to 1 hour; default 1 minute).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The clock (tests pass a fake one); <see langword="null"/>: the system clock, or the host's when registered with DI.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Logging; <see langword="null"/>: none, or the host's when registered with DI.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal IReadOnlyList<(string Field, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        if (Url is null || !Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https"))
        {
            problems.Add(("url", "Url must be the project's absolute http(s) URL."));
        }

        if (string.IsNullOrWhiteSpace(ServiceRoleKey))
        {
            problems.Add(("service_role_key", "ServiceRoleKey is required (only the service role may lease triage jobs)."));
        }

        if (BatchSize is < 1 or > 100)
        {
            problems.Add(("batch_size", "BatchSize must be between 1 and 100."));
        }

        if (LeaseDuration < TimeSpan.FromMinutes(1) || LeaseDuration > TimeSpan.FromHours(1))
        {
            problems.Add(("lease_duration", "LeaseDuration must be between 1 minute and 1 hour."));
        }

        if (PollInterval < TimeSpan.FromMilliseconds(100) || PollInterval > TimeSpan.FromMinutes(5))
        {
            problems.Add(("poll_interval", "PollInterval must be between 100 ms and 5 minutes."));
        }

        if (MaxAttempts is < 1 or > 20)
        {
            problems.Add(("max_attempts", "MaxAttempts must be between 1 and 20."));
        }

        if (RetryBaseDelay < TimeSpan.FromSeconds(1) || RetryBaseDelay > TimeSpan.FromHours(1))
        {
            problems.Add(("retry_base_delay", "RetryBaseDelay must be between 1 second and 1 hour."));
        }

        return problems;
    }
}
