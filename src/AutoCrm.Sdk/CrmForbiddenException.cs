namespace AutoCrm.Sdk;

/// <summary>The caller is signed in (or uses a key) but may not do this (HTTP 403, SQLSTATE <c>42501</c> for a signed-in user): for example a customer writing an internal note. Signing in again does not help; do not send the user to a sign-in page.</summary>
public sealed class CrmForbiddenException : CrmException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CrmForbiddenException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CrmForbiddenException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a parsed error.</summary>
    /// <param name="error">What the server (or the SDK) reported.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmForbiddenException(CrmErrorInfo error, Exception? innerException = null)
        : base(error, innerException)
    {
    }
}
