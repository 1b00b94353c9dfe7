using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

/// <summary>A command that talks to a project: connects (or starts the embedded DevStack), runs, disconnects.</summary>
internal abstract class CrmCommand<TSettings>(CliEnvironment environment) : AsyncCommand<TSettings>
    where TSettings : ConnectionSettings
{
    protected CliEnvironment Environment => environment;

    protected IAnsiConsole Console => environment.Console;

    public override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        await using var target = await Connector.ConnectAsync(settings, environment, cancellationToken).ConfigureAwait(false);
        return await RunAsync(target, settings, cancellationToken).ConfigureAwait(false);
    }

    protected abstract Task<int> RunAsync(CrmTarget target, TSettings settings, CancellationToken cancellationToken);

    /// <summary>Tables and colours for a person at a terminal; --json (or a pipe for list-like output) gets JSON.</summary>
    protected static bool WantsJson(TSettings settings) => settings is ReadSettings { Json: true };
}
