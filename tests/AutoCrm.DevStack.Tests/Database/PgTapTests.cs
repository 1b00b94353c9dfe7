using System.Diagnostics;
using AutoCrm.DevStack.Tests.Infrastructure;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>A database with the platform bootstrap and every migration (no seed), shared by the pgTAP files.</summary>
public sealed class PgTapDatabase(SharedCluster shared) : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync() => ConnectionString = await shared.CreateMigratedDatabaseAsync("pgtap");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Runs every <c>supabase/tests/*.sql</c> with <c>pg_prove</c>, as <c>supabase test db</c> does, against a fresh
/// database with bootstrap + migrations. pg_prove comes from the apt packages postgresql-15-pgtap and
/// libtap-parser-sourcehandler-pgtap-perl (the README's test command installs them); <c>PG_PROVE</c> overrides the path.
/// </summary>
public sealed class PgTapTests(PgTapDatabase database) : IClassFixture<PgTapDatabase>
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TestsDirectory(), "*.sql").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task PgTap_file_passes(string file)
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("PG_PROVE") ?? "pg_prove")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--host", builder.Host!, "--port", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--username", "postgres", "--dbname", builder.Database!, "--verbose", "--failures", Path.Combine(TestsDirectory(), file) })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PGPASSWORD"] = "postgres";
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"pg_prove was not found ({ex.Message}). Install it: apt-get install postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl (or set PG_PROVE).");
            return;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var output = await stdout + await stderr;
            Assert.True(process.ExitCode == 0, $"pg_prove {file} exited with {process.ExitCode}:\n{output}");
            Assert.Contains("Result: PASS", output, StringComparison.Ordinal);
        }
    }

    private static string TestsDirectory()
    {
        // The test project copies supabase/ next to the test assembly; fall back to the repository.
        var copied = Path.Combine(AppContext.BaseDirectory, "supabase", "tests");
        if (Directory.Exists(copied))
        {
            return copied;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "supabase", "tests");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("supabase/tests was not found next to the test assembly or above it.");
    }
}
