using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.AI.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoCrm.Sdk.AI;

/// <summary>
/// Triages new tickets with a chat model and applies the suggestion: the priority (only over the untouched default) and
/// tags (only added), recording one internal <c>ai_triaged</c> event with the model's name, the changes, the language and
/// the sentiment. Exactly once per ticket, however many workers run and however often they restart: new tickets are
/// queued in the database in their own transaction, each job is leased to one worker, and the suggestion is applied
/// together with removing the job, only by the lease's holder. Uses the service-role key; run it on a server.
/// </summary>
/// <example>
/// <code>
/// using var worker = new TicketTriageWorker(new TicketTriageWorkerOptions { Url = url, ServiceRoleKey = key }, chatClient);
/// await worker.RunAsync(stoppingToken);
/// </code>
/// </example>
public sealed class TicketTriageWorker : IDisposable
{
    private readonly TicketTriageWorkerOptions _options;
    private readonly CrmClient _crm;
    private readonly TicketAssistant _assistant;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _enabled;
    private int _disposed;

    /// <summary>Creates a worker; nothing is queued or sent until <see cref="RunAsync"/> or <see cref="ProcessDueAsync"/>.</summary>
    /// <param name="options">The settings; read once.</param>
    /// <param name="chat">The chat model.</param>
    /// <exception cref="CrmValidationException">The options are invalid (code <c>invalid_options</c>).</exception>
    public TicketTriageWorker(TicketTriageWorkerOptions options, IChatClient chat)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(chat);
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

        _options = options;
        _time = options.TimeProvider ?? TimeProvider.System;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("AutoCrm.Sdk.AI");
        _crm = new CrmClient(new CrmClientOptions { Url = options.Url, ApiKey = options.ServiceRoleKey, TimeProvider = _time, LoggerFactory = options.LoggerFactory });
        _assistant = new TicketAssistant(_crm, chat, options.Assistant);
    }

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled: switches queueing on, triages whatever is due and
    /// waits <see cref="TicketTriageWorkerOptions.PollInterval"/> when nothing is. Cancelling stops at once; leased jobs
    /// are triaged again by any worker when their lease ends.
    /// </summary>
    /// <param name="cancellationToken">Stops the worker.</param>
    /// <returns>A task that ends (cancelled) when the worker stops.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int leased;
            try
            {
                leased = await ProcessDueAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (CrmException ex)
            {
                TriageLog.LeaseFailed(_logger, ex.Code, ex);
                leased = 0;
            }

            if (leased == 0)
            {
                await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Switches queueing on (the first time), leases one batch of due tickets (at most
    /// <see cref="TicketTriageWorkerOptions.BatchSize"/>), triages each and records the outcome.
    /// </summary>
    /// <param name="cancellationToken">Stops the work; leased tickets not recorded yet are triaged again when their lease ends.</param>
    /// <returns>How many tickets were leased (0: nothing was due).</returns>
    /// <exception cref="CrmException">The database could not be reached, or the key is not the service role's.</exception>
    public async Task<int> ProcessDueAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var activity = AiTelemetry.StartCall("AI.TriageDue");
        try
        {
            await EnableAsync(cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            var leased = await _crm.Rest.Rpc("lease_ai_triage_jobs", new JsonObject
            {
                ["max_count"] = _options.BatchSize,
                ["lease_seconds"] = (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds),
                ["now"] = now,
            }).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            var jobs = leased.ValueKind == JsonValueKind.Array
                ? leased.EnumerateArray().Select(j => (Ticket: j.GetProperty("ticket_id").GetGuid(), Lease: j.GetProperty("lease_id").GetGuid(), Attempt: j.GetProperty("attempts").GetInt32())).ToList()
                : [];
            foreach (var job in jobs)
            {
                await TriageAsync(job.Ticket, job.Lease, job.Attempt, cancellationToken).ConfigureAwait(false);
            }

            return jobs.Count;
        }
        catch (Exception ex) when (AiTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _crm.Dispose();
        }
    }

    private async Task EnableAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _enabled) != 0)
        {
            return;
        }

        await _crm.Rest.Rpc("set_ai_triage", new JsonObject { ["enabled"] = true }).ToJsonAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _enabled, 1) == 0)
        {
            TriageLog.Started(_logger);
        }
    }

    private async Task TriageAsync(Guid ticketId, Guid leaseId, int attempt, CancellationToken cancellationToken)
    {
        TicketTriage triage;
        try
        {
            triage = await _assistant.TriageTicketAsync(ticketId, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmException ex)
        {
            await ReleaseAsync(ticketId, leaseId, attempt, ex, cancellationToken).ConfigureAwait(false);
            return;
        }

        var model = triage.Model ?? "unknown";
        var changes = await _crm.Rest.Rpc("complete_ai_triage_job", new JsonObject
        {
            ["ticket_id"] = ticketId,
            ["lease_id"] = leaseId,
            ["model"] = model,
            ["priority"] = triage.Priority.ToString().ToLowerInvariant(),
            ["tags"] = new JsonArray([.. triage.Tags.Select(t => JsonValue.Create(t))]),
            ["language"] = triage.Language,
            ["sentiment"] = triage.Sentiment.ToString().ToLowerInvariant(),
            ["now"] = _time.GetUtcNow(),
        }).ToJsonAsync(cancellationToken).ConfigureAwait(false);
        if (changes.ValueKind != JsonValueKind.Object)
        {
            TriageLog.LeaseLost(_logger, ticketId);
            return;
        }

        var changed = changes.EnumerateObject().Count(p => p.Name is not ("language" or "sentiment"));
        TriageLog.Triaged(_logger, ticketId, model, changed);
    }

    private async Task ReleaseAsync(Guid ticketId, Guid leaseId, int attempt, CrmException failure, CancellationToken cancellationToken)
    {
        // A ticket that is gone or that the model cannot triage well after MaxAttempts is given up (kept, with its error).
        var giveUp = failure is CrmNotFoundException || !failure.IsTransient || attempt >= _options.MaxAttempts;
        DateTimeOffset? retryAt = null;
        if (!giveUp)
        {
            var delay = TimeSpan.FromTicks(Math.Min(_options.RetryBaseDelay.Ticks * (1L << Math.Min(attempt - 1, 20)), TimeSpan.FromHours(1).Ticks));
            retryAt = _time.GetUtcNow() + delay;
        }

        TriageLog.Failed(_logger, ticketId, attempt, failure.Code, giveUp ? "given up" : "retrying at " + retryAt!.Value.ToString("O", CultureInfo.InvariantCulture), failure);
        await _crm.Rest.Rpc("release_ai_triage_job", new JsonObject
        {
            ["ticket_id"] = ticketId,
            ["lease_id"] = leaseId,
            ["error"] = $"{failure.Code}: {failure.Message}",
            ["retry_at"] = retryAt,
        }).ToJsonAsync(cancellationToken).ConfigureAwait(false);
    }
}
