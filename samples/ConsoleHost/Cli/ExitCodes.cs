namespace AutoCrm.ConsoleHost.Cli;

/// <summary>The process exit codes of <c>autocrm</c> (documented in docs/cli.md; scripts branch on them).</summary>
internal static class ExitCodes
{
    internal const int Success = 0;
    internal const int Error = 1;
    internal const int Usage = 2;
    internal const int NotFound = 3;
    internal const int NotAuthorised = 4;
    internal const int Conflict = 5;
    internal const int Unavailable = 6;
    internal const int Cancelled = 130;
}
