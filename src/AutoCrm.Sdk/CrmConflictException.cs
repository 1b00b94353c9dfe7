namespace AutoCrm.Sdk;

/// <summary>The write conflicts with the current state: a unique or foreign-key violation (HTTP 409, SQLSTATE `23505`/`23503`), an account that already exists, or a stale `expectedVersion` (code `version_mismatch`).</summary>
public sealed class CrmConflictException : CrmException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CrmConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CrmConflictException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a parsed error.</summary>
    /// <param name="error">What the server (or the SDK) reported.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmConflictException(CrmErrorInfo error, Exception? innerException = null)
        : base(error, innerException)
    {
    }
}
