namespace AutoCrm.Sdk.Internal;

/// <summary>Checks a <see cref="CrmClientOptions"/> once, for both the constructor and the DI start-up validation.</summary>
internal static class CrmOptionsValidator
{
    public static List<string> Validate(CrmClientOptions options)
    {
        var errors = new List<string>();
        if (options.Url is null)
        {
            errors.Add("CrmClientOptions.Url is required.");
        }
        else if (!options.Url.IsAbsoluteUri || (options.Url.Scheme != Uri.UriSchemeHttp && options.Url.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add("CrmClientOptions.Url must be an absolute http or https URL.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            errors.Add("CrmClientOptions.ApiKey is required (the anon, publishable, service_role or secret key).");
        }

        if (string.IsNullOrWhiteSpace(options.Schema))
        {
            errors.Add("CrmClientOptions.Schema must not be empty.");
        }

        if (options.Timeout <= TimeSpan.Zero || options.AttemptTimeout <= TimeSpan.Zero)
        {
            errors.Add("CrmClientOptions.Timeout and AttemptTimeout must be positive.");
        }

        if (options.Realtime is null)
        {
            errors.Add("CrmClientOptions.Realtime must not be null.");
        }
        else if (options.Realtime.HeartbeatInterval <= TimeSpan.Zero || options.Realtime.PushTimeout <= TimeSpan.Zero)
        {
            errors.Add("CrmClientOptions.Realtime.HeartbeatInterval and PushTimeout must be positive.");
        }

        if (options.MaxRetries < 0)
        {
            errors.Add("CrmClientOptions.MaxRetries must not be negative.");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add("CrmClientOptions.RetryBaseDelay must be positive and not above RetryMaxDelay.");
        }

        if (options.RefreshAhead < TimeSpan.Zero)
        {
            errors.Add("CrmClientOptions.RefreshAhead must not be negative.");
        }

        return errors;
    }

    public static void ThrowIfInvalid(CrmClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }
    }
}
