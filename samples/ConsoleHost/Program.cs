using AutoCrm.ConsoleHost.Cli;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The Generic Host owns Ctrl+C (ConsoleLifetime): the first press stops the app, which cancels the running command's token.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
    .SetMinimumLevel(args.Contains("--verbose") ? LogLevel.Information : LogLevel.None);
using var host = builder.Build();
await host.StartAsync().ConfigureAwait(false);
var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
var environment = CliEnvironment.FromProcess(host.Services.GetRequiredService<ILoggerFactory>());
var exitCode = await CliApp.RunAsync(args, environment, lifetime.ApplicationStopping).ConfigureAwait(false);
await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
return exitCode;
