using System.ComponentModel;
using System.Globalization;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.ConsoleHost.Connection;
using AutoCrm.ConsoleHost.Doctor;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Commands;

internal sealed class DoctorSettings : ReadSettings
{
    [CommandOption("--timeout <SECONDS>")]
    [Description("How long the realtime check waits for its change (default 30).")]
    [DefaultValue(30)]
    public int TimeoutSeconds { get; init; } = 30;

    public override ValidationResult Validate() => TimeoutSeconds is < 1 or > 600
        ? ValidationResult.Error("--timeout must be between 1 and 600 seconds")
        : ValidationResult.Success();
}

/// <summary><c>autocrm doctor</c>: checks a deployment with the key its hosts use, one pass/fail line per check; exit 1 when
/// any check fails. --json prints <c>{ok, url, checks: [{name, outcome, detail}]}</c>.</summary>
internal sealed class DoctorCommand(CliEnvironment environment) : CrmCommand<DoctorSettings>(environment)
{
    protected override async Task<int> RunAsync(CrmTarget target, DoctorSettings settings, CancellationToken cancellationToken)
    {
        var doctor = new DeploymentDoctor(target.Url, target.ApiKey, TimeSpan.FromSeconds(settings.TimeoutSeconds));
        var checks = await doctor.RunAsync(cancellationToken).ConfigureAwait(false);
        var ok = checks.All(c => c.Outcome != DoctorOutcome.Failed);
        if (WantsJson(settings))
        {
            JsonOutput.WriteDocument(Environment.Out, new { ok, url = target.Url.ToString(), checks = checks.Select(c => new { c.Name, c.Outcome, c.Detail }) });
        }
        else
        {
            Console.MarkupLineInterpolated($"[grey]Checking {target.Url}[/]");
            foreach (var check in checks)
            {
                var mark = check.Outcome switch
                {
                    DoctorOutcome.Passed => "[green]pass[/]",
                    DoctorOutcome.Failed => "[red]FAIL[/]",
                    _ => "[grey]skip[/]",
                };
                Console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"{mark} {Markup.Escape(check.Name.PadRight(21))}{Markup.Escape(check.Detail)}"));
            }

            var failed = checks.Count(c => c.Outcome == DoctorOutcome.Failed);
            Console.MarkupLine(ok
                ? $"[green]{checks.Count(c => c.Outcome == DoctorOutcome.Passed)} checks passed.[/]"
                : $"[red]{failed} check(s) failed.[/]");
        }

        return ok ? ExitCodes.Success : ExitCodes.Error;
    }
}
