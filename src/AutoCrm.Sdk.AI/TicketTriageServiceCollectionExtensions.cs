using AutoCrm.Sdk;
using AutoCrm.Sdk.AI;
using AutoCrm.Sdk.AI.Internal;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ticket triage worker as a hosted service.</summary>
public static class TicketTriageServiceCollectionExtensions
{
    /// <summary>
    /// Runs a <see cref="TicketTriageWorker"/> for the life of the host with the <c>IChatClient</c> registered in the
    /// container (register one first, e.g. <c>services.AddChatClient(...)</c>). Several hosts may run it at once; each new
    /// ticket is triaged once. Options are validated when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; <see cref="TicketTriageWorkerOptions.Url"/> and
    /// <see cref="TicketTriageWorkerOptions.ServiceRoleKey"/> are required.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAutoCrmTicketTriage(this IServiceCollection services, Action<TicketTriageWorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TicketTriageWorkerOptions>().Configure(configure).Validate(
            o => o.Problems().Count == 0, "AutoCRM ticket triage options are invalid (see TicketTriageWorkerOptions).").ValidateOnStart();
        services.AddHostedService<TicketTriageService>();
        return services;
    }
}
