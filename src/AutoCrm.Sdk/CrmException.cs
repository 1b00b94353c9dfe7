namespace AutoCrm.Sdk;

/// <summary>
/// A call to AutoCRM failed. Every failure the SDK reports is a <see cref="CrmException"/> or one of its subclasses, which
/// exist where a caller branches on them: <see cref="CrmNotFoundException"/>, <see cref="CrmConflictException"/>,
/// <see cref="CrmValidationException"/>, <see cref="CrmAuthException"/> (sign in again), <see cref="CrmForbiddenException"/>
/// (signed in, not allowed), <see cref="CrmRateLimitedException"/> and <see cref="CrmRealtimeException"/>. The exceptions to
/// this rule are the ones that mean a bug in the calling code: <see cref="ArgumentNullException"/> for a <see langword="null"/>
/// argument the signature does not allow, and <see cref="ObjectDisposedException"/> for a disposed client.
/// <see cref="OperationCanceledException"/> for a cancelled <see cref="CancellationToken"/> passes through untouched.
/// </summary>
/// <example>
/// <code>
/// try { await crm.Tickets.GetAsync(id); }
/// catch (CrmNotFoundException) { /* gone, or hidden by row-level security */ }
/// catch (CrmValidationException ex) { /* show ex.Message next to the input named ex.Field */ }
/// catch (CrmException ex) when (ex.IsTransient) { /* try again later */ }
/// </code>
/// </example>
public class CrmException : Exception
{
    /// <summary>Creates an exception with a message only (status 0, no code).</summary>
    /// <param name="message">The message.</param>
    public CrmException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception (status 0, no code).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CrmException(string message, Exception? innerException)
        : this(new CrmErrorInfo { Message = message }, innerException)
    {
    }

    /// <summary>Creates an exception from the parsed error of a response.</summary>
    /// <param name="error">What the server (or the SDK) reported.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmException(CrmErrorInfo error, Exception? innerException = null)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message, innerException)
    {
        Status = error.Status;
        Code = error.Code;
        Details = error.Details;
        Hint = error.Hint;
        RequestId = error.RequestId;
        RetryAfter = error.RetryAfter;
        IsTransient = error.IsTransient ?? IsTransientStatus(error.Status);
        ErrorField = error.Field;
    }

    /// <summary>The HTTP status code, or 0 when no response was received (transport failure, timeout) or the SDK refused the
    /// call before sending it. A row that is missing is always 404 here, whatever PostgREST answered.</summary>
    public int Status { get; }

    /// <summary>The error code: a PostgREST code (<c>PGRST205</c>), a PostgreSQL SQLSTATE (<c>23505</c>),
    /// an Auth error code (<c>invalid_credentials</c>) or an SDK code (<c>not_found</c>, <c>timeout</c>, <c>transport</c>,
    /// <c>session_missing</c>, <c>invalid_value</c>). Stable: branch on it, never on <see cref="Exception.Message"/>.</summary>
    public string? Code { get; }

    /// <summary>Extra detail from the server (PostgreSQL <c>DETAIL</c>, or the server's own wording where the SDK rewrote the
    /// message, e.g. the name of a violated constraint), if any. For logs and support, not for end users.</summary>
    public string? Details { get; }

    /// <summary>A hint from the server (PostgreSQL <c>HINT</c>), if any.</summary>
    public string? Hint { get; }

    /// <summary>The request id the server or gateway assigned (<c>x-request-id</c>/<c>sb-request-id</c>), if any.</summary>
    public string? RequestId { get; }

    /// <summary>Whether repeating the same request later may succeed (timeouts, 408, 429, 5xx, transport errors).</summary>
    public bool IsTransient { get; }

    /// <summary>How long the server asked the client to wait (<c>Retry-After</c>), if it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The field named by the error, exposed by <see cref="CrmValidationException.Field"/>.</summary>
    private protected string? ErrorField { get; }

    internal static bool IsTransientStatus(int status) =>
        status is 0 or 408 or 429 || status >= 500;
}
