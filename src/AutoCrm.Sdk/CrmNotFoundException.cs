namespace AutoCrm.Sdk;

/// <summary>The requested row or user does not exist, or row-level security hides it from the caller (HTTP 404, or 406 `PGRST116` for a single-row read that matched no row).</summary>
public sealed class CrmNotFoundException : CrmException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CrmNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CrmNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a parsed error.</summary>
    /// <param name="error">What the server (or the SDK) reported.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmNotFoundException(CrmErrorInfo error, Exception? innerException = null)
        : base(error, innerException)
    {
    }
}
