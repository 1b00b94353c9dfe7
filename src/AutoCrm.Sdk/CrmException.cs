using System.Net;

namespace AutoCrm.Sdk;

/// <summary>
/// A request to the AutoCRM backend (PostgREST, Auth or Realtime) failed. Every failure the SDK reports is a
/// <see cref="CrmException"/> or one of its subclasses; <see cref="OperationCanceledException"/> for a cancelled
/// <see cref="CancellationToken"/> passes through untouched.
/// </summary>
/// <example>
/// <code>
/// try { await crm.Tickets.GetAsync(id); }
/// catch (CrmNotFoundException) { /* gone, or hidden by row-level security */ }
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
    }

    /// <summary>The HTTP status code, or 0 when no response was received (transport failure or timeout).</summary>
    public int Status { get; }

    /// <summary>The error code: a PostgREST code (<c>PGRST116</c>), a PostgreSQL SQLSTATE (<c>23505</c>),
    /// an Auth error code (<c>invalid_credentials</c>) or an SDK code (<c>timeout</c>, <c>transport</c>).</summary>
    public string? Code { get; }

    /// <summary>Extra detail from the server (PostgreSQL <c>DETAIL</c>), if any.</summary>
    public string? Details { get; }

    /// <summary>A hint from the server (PostgreSQL <c>HINT</c>), if any.</summary>
    public string? Hint { get; }

    /// <summary>The request id the server or gateway assigned (<c>x-request-id</c>/<c>sb-request-id</c>), if any.</summary>
    public string? RequestId { get; }

    /// <summary>Whether repeating the same request later may succeed (timeouts, 408, 429, 5xx, transport errors).</summary>
    public bool IsTransient { get; }

    /// <summary>How long the server asked the client to wait (<c>Retry-After</c>), if it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The HTTP status as <see cref="HttpStatusCode"/>; 0 when there was no response.</summary>
    public HttpStatusCode StatusCode => (HttpStatusCode)Status;

    internal static bool IsTransientStatus(int status) =>
        status is 0 or 408 or 429 || status >= 500;
}
