using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace AutoCrm.ConsoleHost.Cli;

/// <summary>Everything a command touches outside itself: consoles, environment variables, the config directory.
/// Tests build one over string writers and a temporary directory.</summary>
internal sealed record CliEnvironment
{
    /// <summary>Where tables, colours, progress and errors for people go.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Machine output (--json, export): plain text, never wrapped or coloured.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Error lines.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>~/.autocrm, or AUTOCRM_HOME.</summary>
    public required string ConfigDirectory { get; init; }

    /// <summary>Environment variables (AUTOCRM_URL, AUTOCRM_ANON_KEY, AUTOCRM_DB_URL).</summary>
    public required IReadOnlyDictionary<string, string?> Variables { get; init; }

    /// <summary>Whether a person is watching a terminal (tables, colours, live displays) rather than a pipe.</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Logging for the embedded DevStack and the SDK (warnings only unless --verbose).</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public string? Variable(string name) => Variables.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    public static CliEnvironment FromProcess(ILoggerFactory loggerFactory)
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in new[] { "AUTOCRM_URL", "AUTOCRM_ANON_KEY", "AUTOCRM_DB_URL", "AUTOCRM_HOME", "NO_COLOR" })
        {
            variables[name] = Environment.GetEnvironmentVariable(name);
        }

        var home = variables["AUTOCRM_HOME"] is { Length: > 0 } h
            ? h
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".autocrm");
        var terminal = !System.Console.IsOutputRedirected;
        return new CliEnvironment
        {
            Console = AnsiConsole.Console,
            Out = System.Console.Out,
            Error = System.Console.Error,
            ConfigDirectory = home,
            Variables = variables,
            IsTerminal = terminal,
            LoggerFactory = loggerFactory,
        };
    }
}
