namespace AutoCrm.Sdk.Internal;

/// <summary>Checks a <see cref="CrmClientOptions"/> once, for both the constructor and the DI start-up validation.</summary>
internal static class CrmOptionsValidator
{
    /// <summary>Every problem, as (the setting's name, what is wrong with it).</summary>
    public static List<(string Setting, string Message)> Validate(CrmClientOptions options)
    {
        var errors = new List<(string, string)>();
        if (options.Url is null)
        {
            errors.Add(("Url", "CrmClientOptions.Url is required."));
        }
        else if (!options.Url.IsAbsoluteUri || (options.Url.Scheme != Uri.UriSchemeHttp && options.Url.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add(("Url", "CrmClientOptions.Url must be an absolute http or https URL."));
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            errors.Add(("ApiKey", "CrmClientOptions.ApiKey is required (the anon, publishable, service_role or secret key)."));
        }

        if (string.IsNullOrWhiteSpace(options.Schema))
        {
            errors.Add(("Schema", "CrmClientOptions.Schema must not be empty."));
        }

        if (options.Timeout <= TimeSpan.Zero || options.AttemptTimeout <= TimeSpan.Zero)
        {
            errors.Add(("Timeout", "CrmClientOptions.Timeout and AttemptTimeout must be positive."));
        }

        if (options.Realtime is null)
        {
            errors.Add(("Realtime", "CrmClientOptions.Realtime must not be null."));
        }
        else if (options.Realtime.HeartbeatInterval <= TimeSpan.Zero || options.Realtime.PushTimeout <= TimeSpan.Zero)
        {
            errors.Add(("Realtime.HeartbeatInterval", "CrmClientOptions.Realtime.HeartbeatInterval and PushTimeout must be positive."));
        }

        if (options.MaxRetries < 0)
        {
            errors.Add(("MaxRetries", "CrmClientOptions.MaxRetries must not be negative."));
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add(("RetryBaseDelay", "CrmClientOptions.RetryBaseDelay must be positive and not above RetryMaxDelay."));
        }

        if (options.RefreshAhead < TimeSpan.Zero)
        {
            errors.Add(("RefreshAhead", "CrmClientOptions.RefreshAhead must not be negative."));
        }

        return errors;
    }

    /// <summary>Throws <see cref="CrmValidationException"/> (code <c>invalid_options</c>) naming the first bad setting,
    /// with every problem in the message.</summary>
    public static void ThrowIfInvalid(CrmClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Validate(options);
        if (errors.Count > 0)
        {
            throw new CrmValidationException(new CrmErrorInfo
            {
                Status = 0,
                Code = "invalid_options",
                Field = errors[0].Setting,
                Message = string.Join(" ", errors.Select(e => e.Message)),
                IsTransient = false,
            });
        }
    }
}
