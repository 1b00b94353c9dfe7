namespace AutoCrm.Sdk;

/// <summary>The caller is not (or no longer) signed in: HTTP 401, wrong credentials, an expired or revoked session, a failed
/// token refresh, or a call that needs a user made without one (code <c>session_missing</c>). Sign in again. A signed-in
/// caller who may not do something gets <see cref="CrmForbiddenException"/> instead.</summary>
public sealed class CrmAuthException : CrmException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CrmAuthException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CrmAuthException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a parsed error.</summary>
    /// <param name="error">What the server (or the SDK) reported.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmAuthException(CrmErrorInfo error, Exception? innerException = null)
        : base(error, innerException)
    {
    }
}
