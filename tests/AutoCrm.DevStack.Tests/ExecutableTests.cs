using System.Diagnostics;

namespace AutoCrm.DevStack.Tests;

/// <summary>The DevStack executable as a user runs it: <c>dotnet AutoCrm.DevStack.dll …</c>.</summary>
public sealed class ExecutableTests
{
    [Fact]
    public async Task A_database_it_cannot_reach_is_a_message_and_exit_code_1_not_a_crash()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("autocrm-exe-");
        try
        {
            // Port 1 on the loopback interface: nothing listens there, so the connection is refused at once.
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[]
                     {
                         typeof(CommandLine).Assembly.Location, "--port", "0", "--data-dir", dataDirectory.FullName,
                         "--db-url", "postgresql://nobody:secret@127.0.0.1:1/nothing",
                     })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);

            var errors = await stderr;
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("The DevStack did not start: ", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("API URL:", await stdout, StringComparison.Ordinal);
        }
        finally
        {
            dataDirectory.Delete(recursive: true);
        }
    }
}
