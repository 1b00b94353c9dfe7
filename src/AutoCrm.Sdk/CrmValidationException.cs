namespace AutoCrm.Sdk;

/// <summary>A value was refused (HTTP 400/422 from the server, or checked by the SDK before sending): a check or not-null constraint, a value of the wrong type, a weak password, a page size out of range, a continuation token from another listing, an invalid setting. <see cref="Field"/> names the field when known; the message is fit to show next to it.</summary>
public sealed class CrmValidationException : CrmException
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CrmValidationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CrmValidationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a parsed error.</summary>
    /// <param name="error">What the server (or the SDK) reported.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmValidationException(CrmErrorInfo error, Exception? innerException = null)
        : base(error, innerException)
    {
    }

    /// <summary>The field the value belongs to, when known, in database spelling (<c>subject</c>, <c>body</c>,
    /// <c>password</c>, a custom field key); for SDK settings the setting's name (<c>Url</c>, <c>AutoCrm:MaxRetries</c>).</summary>
    public string? Field => ErrorField;
}
