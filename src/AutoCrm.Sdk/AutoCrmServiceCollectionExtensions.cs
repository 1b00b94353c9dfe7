using System.Globalization;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="CrmClient"/> in a service collection.</summary>
public static class AutoCrmServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the client gets from <c>IHttpClientFactory</c>; configure it with
    /// <c>services.AddHttpClient(AutoCrmServiceCollectionExtensions.HttpClientName)</c>.</summary>
    public const string HttpClientName = "AutoCrm";

    /// <summary>
    /// Registers a singleton <see cref="CrmClient"/> configured from a configuration section (keys: <c>Url</c>, <c>ApiKey</c>,
    /// <c>Schema</c>, <c>Timeout</c>, <c>AttemptTimeout</c>, <c>MaxRetries</c>, <c>RetryBaseDelay</c>, <c>RetryMaxDelay</c>,
    /// <c>AutoRefreshToken</c>, <c>RefreshAhead</c>). Options are validated when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section, e.g. <c>builder.Configuration.GetSection("AutoCrm")</c>.</param>
    /// <param name="configure">Further settings in code (session store, handler), applied after the section.</param>
    /// <returns>The services.</returns>
    /// <example><code>builder.Services.AddAutoCrm(builder.Configuration.GetSection("AutoCrm"));</code></example>
    public static IServiceCollection AddAutoCrm(this IServiceCollection services, IConfiguration configuration, Action<CrmClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddAutoCrm(options =>
        {
            Bind(configuration, options);
            configure?.Invoke(options);
        });
    }

    /// <summary>Registers a singleton <see cref="CrmClient"/> configured in code. Options are validated when the host starts.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The services.</returns>
    /// <example><code>services.AddAutoCrm(o => { o.Url = new Uri("http://127.0.0.1:54321"); o.ApiKey = key; });</code></example>
    public static IServiceCollection AddAutoCrm(this IServiceCollection services, Action<CrmClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<CrmClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CrmClientOptions>, CrmClientOptionsValidation>());
        services.AddHttpClient(HttpClientName).ConfigureHttpClient(static c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<CrmClientOptions>>().Value;
            var effective = new CrmClientOptions
            {
                Url = options.Url,
                ApiKey = options.ApiKey,
                Schema = options.Schema,
                Timeout = options.Timeout,
                AttemptTimeout = options.AttemptTimeout,
                MaxRetries = options.MaxRetries,
                RetryBaseDelay = options.RetryBaseDelay,
                RetryMaxDelay = options.RetryMaxDelay,
                AutoRefreshToken = options.AutoRefreshToken,
                RefreshAhead = options.RefreshAhead,
                SessionStore = options.SessionStore,
                Realtime = options.Realtime,
                HttpMessageHandler = options.HttpMessageHandler,
                TimeProvider = options.TimeProvider ?? provider.GetService<TimeProvider>() ?? TimeProvider.System,
                LoggerFactory = options.LoggerFactory ?? provider.GetService<ILoggerFactory>(),
            };
            if (effective.HttpMessageHandler is not null)
            {
                // An explicit handler is the caller's seam (tests, fault injection); the factory would dispose it.
                return new CrmClient(effective);
            }

            var factory = provider.GetRequiredService<IHttpClientFactory>();
            return new CrmClient(effective, () => factory.CreateClient(HttpClientName));
        });
        return services;
    }

    private static void Bind(IConfiguration section, CrmClientOptions options)
    {
        if (section["Url"] is { Length: > 0 } url)
        {
            options.Url = Uri.TryCreate(url, UriKind.Absolute, out var parsed)
                ? parsed
                : throw Invalid(section, "Url", url, "an absolute http or https URL such as http://127.0.0.1:54321");
        }

        if (section["ApiKey"] is { Length: > 0 } key)
        {
            options.ApiKey = key;
        }

        if (section["Schema"] is { Length: > 0 } schema)
        {
            options.Schema = schema;
        }

        options.Timeout = Duration(section, "Timeout") ?? options.Timeout;
        options.AttemptTimeout = Duration(section, "AttemptTimeout") ?? options.AttemptTimeout;
        options.RetryBaseDelay = Duration(section, "RetryBaseDelay") ?? options.RetryBaseDelay;
        options.RetryMaxDelay = Duration(section, "RetryMaxDelay") ?? options.RetryMaxDelay;
        options.RefreshAhead = Duration(section, "RefreshAhead") ?? options.RefreshAhead;
        if (section["MaxRetries"] is { Length: > 0 } retries)
        {
            options.MaxRetries = int.TryParse(retries, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
                ? count
                : throw Invalid(section, "MaxRetries", retries, "a whole number");
        }

        options.AutoRefreshToken = Flag(section, "AutoRefreshToken") ?? options.AutoRefreshToken;

        BindRealtime(section.GetSection("Realtime"), options);
    }

    private static void BindRealtime(IConfiguration section, CrmClientOptions options)
    {
        var realtime = options.Realtime ?? new AutoCrm.Sdk.Realtime.RealtimeOptions();
        if (section["ProtocolVersion"] is { Length: > 0 } version)
        {
            realtime = realtime with
            {
                ProtocolVersion = version switch
                {
                    "1.0.0" or "V1" => AutoCrm.Sdk.Realtime.RealtimeProtocolVersion.V1,
                    "2.0.0" or "V2" => AutoCrm.Sdk.Realtime.RealtimeProtocolVersion.V2,
                    _ => throw Invalid(section, "ProtocolVersion", version, "1.0.0 or 2.0.0"),
                },
            };
        }

        realtime = realtime with
        {
            HeartbeatInterval = Duration(section, "HeartbeatInterval") ?? realtime.HeartbeatInterval,
            PushTimeout = Duration(section, "PushTimeout") ?? realtime.PushTimeout,
        };
        if (Flag(section, "CatchUpAfterReconnect") is { } catchUp)
        {
            realtime = realtime with { CatchUpAfterReconnect = catchUp };
        }

        options.Realtime = realtime;
    }

    private static TimeSpan? Duration(IConfiguration section, string key) =>
        section[key] is not { Length: > 0 } text ? null
        : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value
        : throw Invalid(section, key, text, "a duration such as 00:00:30");

    private static bool? Flag(IConfiguration section, string key) =>
        section[key] is not { Length: > 0 } text ? null
        : bool.TryParse(text, out var value) ? value
        : throw Invalid(section, key, text, "true or false");

    /// <summary>A setting that cannot be read, named by its full configuration path (e.g. <c>AutoCrm:Timeout</c>).</summary>
    private static CrmValidationException Invalid(IConfiguration section, string key, string value, string expected)
    {
        var path = section is IConfigurationSection { Path.Length: > 0 } s ? s.Path + ":" + key : key;
        return new CrmValidationException(new CrmErrorInfo
        {
            Code = "invalid_configuration",
            Field = path,
            Message = $"The setting {path} must be {expected}, not '{value}'.",
            IsTransient = false,
        });
    }

    private sealed class CrmClientOptionsValidation : IValidateOptions<CrmClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, CrmClientOptions options)
        {
            var errors = CrmOptionsValidator.Validate(options);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => e.Message));
        }
    }
}
