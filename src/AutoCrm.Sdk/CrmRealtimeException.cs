namespace AutoCrm.Sdk;

/// <summary>A terminal failure of the real-time connection or a channel subscription (join refused, socket closed for good).</summary>
public sealed class CrmRealtimeException : CrmException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CrmRealtimeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CrmRealtimeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a parsed error.</summary>
    /// <param name="error">What the server (or the SDK) reported.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmRealtimeException(CrmErrorInfo error, Exception? innerException = null)
        : base(error, innerException)
    {
    }
}
