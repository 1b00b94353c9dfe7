using System.ComponentModel;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Cli;

/// <summary>Options every command that talks to a project shares.</summary>
internal class ConnectionSettings : CommandSettings
{
    [CommandOption("--url <URL>")]
    [Description("Project URL (else AUTOCRM_URL, else the profile, else an embedded DevStack).")]
    public string? Url { get; init; }

    [CommandOption("--key <KEY>")]
    [Description("API key: anon/publishable, or service_role for back-office work (else AUTOCRM_ANON_KEY, else the profile).")]
    public string? Key { get; init; }

    [CommandOption("--verbose")]
    [Description("Show stack traces and server logs.")]
    public bool Verbose { get; init; }
}

/// <summary>Options of commands that print data.</summary>
internal class ReadSettings : ConnectionSettings
{
    [CommandOption("--json")]
    [Description("Print JSON (one document; JSON Lines for streams) instead of tables.")]
    public bool Json { get; init; }
}
