using System.Net.Http;
using System.Net.Sockets;
using AutoCrm.Sdk;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoCrm.ConsoleHost.Cli;

/// <summary>Turns any failure into one error line (plus the server's code and hint) and a distinct exit code.</summary>
internal static class ErrorReporter
{
    internal static int ExitCodeOf(Exception exception) => exception switch
    {
        OperationCanceledException => ExitCodes.Cancelled,
        UsageException or CommandParseException or CommandRuntimeException => ExitCodes.Usage,
        NotFoundException or CrmNotFoundException => ExitCodes.NotFound,
        CrmAuthException or CrmForbiddenException => ExitCodes.NotAuthorised,
        CrmConflictException => ExitCodes.Conflict,
        CrmException { Status: 401 or 403 } => ExitCodes.NotAuthorised,
        CrmException { Status: 404 } => ExitCodes.NotFound,
        CrmException { Status: 409 } => ExitCodes.Conflict,
        CrmException { Code: "42501" } => ExitCodes.NotAuthorised,
        CrmException { IsTransient: true } or CrmException { Status: 0 or >= 500 } => ExitCodes.Unavailable,
        HttpRequestException or SocketException or TimeoutException => ExitCodes.Unavailable,
        CrmException => ExitCodes.Error,
        _ when exception.InnerException is { } inner && inner is not null && exception is not CrmException => ExitCodeOf(inner),
        _ => ExitCodes.Error,
    };

    internal static int Report(Exception exception, TextWriter error, bool verbose)
    {
        var code = ExitCodeOf(exception);
        error.WriteLine(Describe(exception, code));
        if (verbose)
        {
            error.WriteLine(exception.ToString());
        }

        return code;
    }

    internal static string Describe(Exception exception, int exitCode)
    {
        if (exception is OperationCanceledException)
        {
            return "autocrm: cancelled";
        }

        var message = exception.Message;
        if (exception is CrmException crm)
        {
            var extra = new List<string>();
            if (!string.IsNullOrEmpty(crm.Code))
            {
                extra.Add("code " + crm.Code);
            }

            if (crm.Status > 0)
            {
                extra.Add("HTTP " + crm.Status);
            }

            if (!string.IsNullOrEmpty(crm.Hint))
            {
                extra.Add("hint: " + crm.Hint);
            }

            if (extra.Count > 0)
            {
                message += " (" + string.Join("; ", extra) + ")";
            }
        }
        else if (exitCode == ExitCodes.Unavailable)
        {
            message = "the server is unavailable: " + message;
        }

        return "error: " + Markup.Remove(Markup.Escape(message)).ReplaceLineEndings(" ");
    }
}
