using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class WatchCommand(CliEnvironment environment) : CrmCommand<ReadSettings>(environment)
{
    protected override Task<int> RunAsync(CrmTarget target, ReadSettings settings, CancellationToken cancellationToken) => Task.FromResult(1);
}
