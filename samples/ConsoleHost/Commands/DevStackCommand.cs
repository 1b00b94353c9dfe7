using System.ComponentModel;
using System.Text.Json;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class DevStackSettings : CommandSettings
{
    [CommandOption("--port <PORT>")]
    [Description("API port (default 54321; 0 for any free port).")]
    [DefaultValue(54321)]
    public int Port { get; init; } = 54321;

    [CommandOption("--data-dir <DIR>")]
    [Description("Cluster directory (default ~/.autocrm/devstack).")]
    public string? DataDirectory { get; init; }

    [CommandOption("--throwaway")]
    [Description("Use a temporary cluster, deleted on exit.")]
    public bool Throwaway { get; init; }

    [CommandOption("--reset")]
    [Description("Recreate the database (migrations and seed) before starting.")]
    public bool Reset { get; init; }

    [CommandOption("--json")]
    [Description("Print the URL and keys as one JSON line.")]
    public bool Json { get; init; }

    [CommandOption("--demo-keys")]
    [Description("Use the Supabase CLI's public demo secret and keys instead of the data directory's own (never where others can reach it).")]
    public bool DemoKeys { get; init; }

    [CommandOption("--no-auth-rate-limits")]
    [Description("Do not rate-limit sign-ins per client address (for test suites that sign in far more often than people).")]
    public bool NoAuthRateLimits { get; init; }

    [CommandOption("--verbose")]
    [Description("Show server logs and stack traces.")]
    public bool Verbose { get; init; }
}

/// <summary><c>autocrm devstack</c>: the DevStack in the foreground until Ctrl+C; other commands find it through ~/.autocrm/devstack.json.</summary>
internal sealed class DevStackCommand(CliEnvironment environment) : AsyncCommand<DevStackSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DevStackSettings settings, CancellationToken cancellationToken)
    {
        var dataDirectory = settings.Throwaway ? null : settings.DataDirectory ?? Path.Combine(environment.ConfigDirectory, "devstack");
        await using var server = await Connector.StartEmbeddedAsync(
            environment, dataDirectory, settings.Port, settings.Reset, settings.DemoKeys, authRateLimits: !settings.NoAuthRateLimits, cancellationToken).ConfigureAwait(false);
        var info = new DevStackInfo
        {
            Url = server.Url.GetLeftPart(UriPartial.Authority),
            AnonKey = server.AnonKey,
            ServiceRoleKey = server.ServiceRoleKey,
            DatabaseUrl = server.DatabaseUrl,
            ProcessId = System.Environment.ProcessId,
        };
        var infoPath = DevStackInfo.PathIn(environment.ConfigDirectory);
        if (!settings.Throwaway)
        {
            Directory.CreateDirectory(environment.ConfigDirectory);
            await File.WriteAllTextAsync(infoPath, JsonSerializer.Serialize(info), cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (settings.Json)
            {
                JsonOutput.WriteLine(environment.Out, info);
            }
            else
            {
                var grid = new Grid().AddColumn().AddColumn();
                grid.AddRow("[grey]API URL[/]", Markup.Escape(info.Url));
                grid.AddRow("[grey]DB URL[/]", Markup.Escape(server.DatabaseUrl));
                grid.AddRow("[grey]anon key[/]", Markup.Escape(info.AnonKey));
                grid.AddRow("[grey]service_role key[/]", Markup.Escape(info.ServiceRoleKey));
                grid.AddRow("[grey]data[/]", Markup.Escape(dataDirectory ?? "(throwaway)"));
                environment.Console.Write(grid);
                environment.Console.MarkupLine("[green]DevStack running.[/] Other autocrm commands use it automatically. Press Ctrl+C to stop.");
            }

            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            environment.Console.MarkupLine("Stopping…");
        }
        finally
        {
            if (!settings.Throwaway)
            {
                File.Delete(infoPath);
            }
        }

        return ExitCodes.Success;
    }
}
