namespace AutoCrm.Sdk;

/// <summary>
/// A webhook request did not prove it came from AutoCRM (<see cref="Webhooks.WebhookSignature.Verify(string, string?, string, TimeSpan)"/>):
/// <see cref="CrmException.Code"/> says why — <c>signature_missing</c> (no <c>AutoCrm-Signature</c> header),
/// <c>signature_malformed</c> (no <c>t=</c> or no <c>v1=</c>), <c>signature_mismatch</c> (no <c>v1</c> matches the body
/// with this secret: a tampered body or the wrong secret) or <c>signature_expired</c> (the signature is right but its
/// timestamp is outside the tolerance: a replay). A receiver answers 400 and does not act on the request.
/// </summary>
public class CrmWebhookSignatureException : CrmException
{
    /// <summary>Creates the exception with a message (code <c>signature_mismatch</c>).</summary>
    /// <param name="message">The message.</param>
    public CrmWebhookSignatureException(string message)
        : base(new CrmErrorInfo { Code = "signature_mismatch", Message = message, IsTransient = false })
    {
    }

    /// <summary>Creates the exception from an error description.</summary>
    /// <param name="error">The code and message.</param>
    /// <param name="innerException">The cause, if any.</param>
    public CrmWebhookSignatureException(CrmErrorInfo error, Exception? innerException = null)
        : base(error, innerException)
    {
    }
}
