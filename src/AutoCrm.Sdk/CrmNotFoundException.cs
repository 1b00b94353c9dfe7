namespace AutoCrm.Sdk;

/// <summary>The requested row or user does not exist, or row-level security hides it from the caller. <see cref="CrmException.Status"/>
/// is always 404 and <see cref="CrmException.Code"/> <c>not_found</c> (or the code of the function that said so), whatever
/// PostgREST answered: its 406 <c>PGRST116</c> for a single-row read that matched no row is reported here, with the
/// original answer in <see cref="CrmException.Details"/>.</summary>
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
