using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AutoCrm.Sdk.Webhooks;

/// <summary>The hosted service <c>AddAutoCrmWebhookDispatcher</c> registers: one <see cref="WebhookDispatcher"/> for the host's life.</summary>
internal sealed class WebhookDispatcherService(IOptions<WebhookDispatcherOptions> options, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var effective = options.Value.Copy();
        effective.TimeProvider ??= services.GetService<TimeProvider>();
        effective.LoggerFactory ??= services.GetService<ILoggerFactory>();
        using var dispatcher = new WebhookDispatcher(effective);
        try
        {
            await dispatcher.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping; leased deliveries are sent again when their leases end.
        }
    }
}

/// <summary>Validates <see cref="WebhookDispatcherOptions"/> when the host starts.</summary>
internal sealed class WebhookDispatcherOptionsValidation : IValidateOptions<WebhookDispatcherOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookDispatcherOptions options)
    {
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems.Select(p => p.Message));
    }
}
