using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AutoCrm.Sdk.AI.Internal;

/// <summary>Runs a <see cref="TicketTriageWorker"/> for the life of the host, with the host's chat client, clock and logging.</summary>
internal sealed class TicketTriageService(IOptions<TicketTriageWorkerOptions> options, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        settings.TimeProvider ??= services.GetService<TimeProvider>();
        settings.LoggerFactory ??= services.GetService<ILoggerFactory>();
        using var worker = new TicketTriageWorker(settings, services.GetRequiredService<IChatClient>());
        try
        {
            await worker.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
