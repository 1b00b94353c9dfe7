namespace AutoCrm.Sdk.Webhooks;

/// <summary>
/// When a failed delivery is tried again. The schedule lives in the database (the delivery's next attempt time), not in
/// a waiting task, so a dispatcher that stops loses nothing and any dispatcher picks the delivery up when it is due.
/// </summary>
internal sealed class WebhookRetrySchedule(WebhookDispatcherOptions options)
{
    /// <summary>
    /// The time of the next attempt after attempt number <paramref name="attempt"/> failed at <paramref name="now"/>, or
    /// null when the delivery is given up (its retry window, counted from the event, is over). The delay doubles from
    /// <see cref="WebhookDispatcherOptions.RetryBaseDelay"/> up to <see cref="WebhookDispatcherOptions.RetryMaxDelay"/>
    /// with "equal jitter" (half fixed, half random), so retries of many deliveries that failed together spread out; a
    /// receiver's <c>Retry-After</c> replaces it, up to <see cref="WebhookDispatcherOptions.MaxRetryAfter"/>.
    /// The last attempt is made at the end of the window.
    /// </summary>
    public DateTimeOffset? NextAttempt(DateTimeOffset eventCreatedAt, int attempt, DateTimeOffset now, TimeSpan? retryAfter)
    {
        var deadline = eventCreatedAt + options.RetryWindow;
        if (now >= deadline)
        {
            return null;
        }

        var delay = retryAfter is { } asked
            ? TimeSpan.FromTicks(Math.Clamp(asked.Ticks, 0, options.MaxRetryAfter.Ticks))
            : Backoff(attempt);
        var next = now + delay;
        return next < deadline ? next : deadline;
    }

    /// <summary>The backoff after attempt number <paramref name="attempt"/> (1 = the first attempt).</summary>
    public TimeSpan Backoff(int attempt)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 40);
        var ceiling = Math.Min(options.RetryBaseDelay.Ticks * Math.Pow(2, exponent), options.RetryMaxDelay.Ticks);
        var half = ceiling / 2;
        return TimeSpan.FromTicks((long)(half + (half * Random.Shared.NextDouble())));
    }
}
