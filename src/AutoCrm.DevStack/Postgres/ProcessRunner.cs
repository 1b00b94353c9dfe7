using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace AutoCrm.DevStack.Postgres;

/// <summary>Runs short-lived tools (initdb, pg_ctl, chown) and collects their output.</summary>
internal static class ProcessRunner
{
    /// <summary>True when this process runs as root: PostgreSQL refuses root, so its tools run as the <c>postgres</c> user.</summary>
    internal static bool IsRoot => OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess;

    internal const string PostgresOsUser = "postgres";

    internal readonly record struct Result(int ExitCode, string Output)
    {
        public bool Succeeded => ExitCode == 0;
    }

    /// <summary>
    /// Runs <paramref name="fileName"/>; as the postgres OS user (through runuser, which passes the environment on) when
    /// <paramref name="asPostgres"/> and root, with <paramref name="environment"/> added to this process's environment.
    /// </summary>
    internal static async Task<Result> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        bool asPostgres,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (asPostgres && IsRoot)
        {
            info.FileName = "runuser";
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(PostgresOsUser);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(fileName);
        }
        else
        {
            info.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        // Tools must not inherit a working directory the postgres user cannot enter.
        info.WorkingDirectory = "/";
        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            throw;
        }

        lock (output)
        {
            return new Result(process.ExitCode, output.ToString().Trim());
        }
    }

    /// <summary>Like <see cref="RunAsync"/> but returns null when the program does not exist.</summary>
    internal static async Task<Result?> TryRunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(fileName, arguments, asPostgres: false, cancellationToken);
        }
        catch (Win32Exception)
        {
            return null;
        }
    }
}
