namespace AutoCrm.Sdk;

/// <summary>The server rejected the request because of rate limiting (HTTP 429). See <see cref="CrmException.RetryAfter"/>.</summary>
public sealed class CrmRateLimitedException : CrmException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CrmRateLimitedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CrmRateLimitedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a parsed error.</summary>
    /// <param name="error">What the server (or the SDK) reported.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmRateLimitedException(CrmErrorInfo error, Exception? innerException = null)
        : base(error, innerException)
    {
    }
}
