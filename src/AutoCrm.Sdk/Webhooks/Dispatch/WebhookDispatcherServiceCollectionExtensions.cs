using AutoCrm.Sdk.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the webhook dispatcher as a hosted service.</summary>
public static class WebhookDispatcherServiceCollectionExtensions
{
    /// <summary>
    /// Runs a <see cref="WebhookDispatcher"/> for the life of the host: it sends the webhook outbox with the service-role
    /// key. Several hosts (or several dispatchers) may run at once; each delivery is leased to one of them at a time.
    /// The host's <see cref="TimeProvider"/> and logging are used unless the options name their own. Options are validated
    /// when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; <see cref="WebhookDispatcherOptions.Url"/> and
    /// <see cref="WebhookDispatcherOptions.ServiceRoleKey"/> are required.</param>
    /// <returns>The services.</returns>
    /// <example><code>builder.Services.AddAutoCrmWebhookDispatcher(o => { o.Url = projectUrl; o.ServiceRoleKey = serviceKey; });</code></example>
    public static IServiceCollection AddAutoCrmWebhookDispatcher(this IServiceCollection services, Action<WebhookDispatcherOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WebhookDispatcherOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookDispatcherOptions>, WebhookDispatcherOptionsValidation>());
        services.AddHostedService<WebhookDispatcherService>();
        return services;
    }
}
