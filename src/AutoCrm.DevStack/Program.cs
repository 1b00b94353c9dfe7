using System.Globalization;
using System.Runtime.InteropServices;
using AutoCrm.DevStack;

// dotnet run --project src/AutoCrm.DevStack [-- --port N --data-dir D --db-url U --supabase-dir S --schemas a,b --no-seed --reset]
if (!CommandLine.TryParse(args, out var command, out var error))
{
    if (error is not null)
    {
        Console.Error.WriteLine(error);
    }

    Console.Error.WriteLine(CommandLine.Usage);
    return error is null ? 0 : 2;
}

using var loggerFactory = LoggerFactory.Create(logging => logging
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("Microsoft", LogLevel.Warning)
    .AddFilter("Npgsql", LogLevel.Warning)
    .AddSimpleConsole(console => console.SingleLine = true)
    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));

var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.TrySetResult();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var startCancellation = new CancellationTokenSource();
// Not disposed: disposing a task that has not completed throws, and this one completes only on a signal.
_ = stopping.Task.ContinueWith(_ => startCancellation.Cancel(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

DevStackServer server;
try
{
    server = await DevStackServer.StartAsync(
        new DevStackOptions
        {
            Port = command.Port,
            // With --db-url the data directory holds only the JWT secret.
            DataDirectory = command.DataDirectory,
            DatabaseUrl = command.DatabaseUrl,
            Seed = command.Seed,
            Reset = command.Reset,
            JwtSecret = command.DemoKeys ? DevStackDefaults.JwtSecret : null,
            CorsOrigins = command.CorsOrigins,
            EnforceAuthRateLimits = command.AuthRateLimits,
            SupabaseDirectory = command.SupabaseDirectory,
            RequireApiKey = !command.NoApiKeyCheck,
            Schemas = command.Schemas,
            LoggerFactory = loggerFactory,
        },
        startCancellation.Token);
}
catch (OperationCanceledException) when (startCancellation.IsCancellationRequested)
{
    return 130;
}
#pragma warning disable CA1031 // The CLI reports any start failure as a message and an exit code.
catch (Exception ex)
#pragma warning restore CA1031
{
    Console.Error.WriteLine("The DevStack did not start: " + ex.Message);
    return 1;
}

await using (server)
{
    Console.Out.WriteLine($"API URL: {server.Url.GetLeftPart(UriPartial.Authority)}");
    Console.Out.WriteLine($"DB URL: {server.DatabaseUrl}");
    Console.Out.WriteLine($"anon key: {server.AnonKey}");
    Console.Out.WriteLine($"service_role key: {server.ServiceRoleKey}");
    Console.Out.Flush();
    await stopping.Task;
    Console.Error.WriteLine("Stopping…");
}

return 0;

/// <summary>The command line of the DevStack executable.</summary>
internal sealed record CommandLine
{
    internal const string Usage = """
        Usage: AutoCrm.DevStack [options]
          --port N         HTTP port on 127.0.0.1 (default 54321; 0 = any free port)
          --data-dir D     PostgreSQL cluster directory, and the file jwt-secret with the project's
                           random JWT secret (default ./.autocrm/devstack; with --db-url, the secret only)
          --db-url U       use an existing PostgreSQL (postgresql://user:pass@host:port/db) instead of a local cluster
          --supabase-dir S a Supabase CLI project folder (migrations/, seed.sql, config.toml) to serve
                           instead of the AutoCRM one built into the DevStack
          --schemas a,b    the schemas the REST API exposes, first = default (PostgREST's db-schemas;
                           default: config.toml's [api] schemas). The database's own setting
                           (ALTER ROLE authenticator SET pgrst.db_schemas = '…') takes precedence
          --no-seed        do not run supabase/seed.sql on a new database
          --reset          delete and recreate the local cluster
          --no-apikey-check
                           let requests without an apikey through as anon, as the Supabase CLI's
                           gateway does (the hosted platform, and the DevStack by default, answer 401)
          --demo-keys      use the Supabase CLI's public demo JWT secret and keys instead of the data
                           directory's own (for tests that need fixed keys; anyone can sign tokens for it)
          --cors-origins a,b
                           the web origins that may call the DevStack from a browser: origins, origins
                           with any port (http://localhost:*) or * for all (default: loopback on any
                           port, plus config.toml's site_url and additional_redirect_urls)
          --no-auth-rate-limits
                           do not apply config.toml's [auth.rate_limit] (applied per client address by
                           default; tests that sign in many times from one address turn them off)
          -h, --help       show this help
        """;

    public int Port { get; init; } = DevStackDefaults.ApiPort;

    public string DataDirectory { get; init; } = Path.Combine(Environment.CurrentDirectory, ".autocrm", "devstack");

    public string? DatabaseUrl { get; init; }

    public string? SupabaseDirectory { get; init; }

    public IReadOnlyList<string>? Schemas { get; init; }

    public bool Seed { get; init; } = true;

    public bool Reset { get; init; }

    public bool AuthRateLimits { get; init; } = true;

    public bool DemoKeys { get; init; }

    public IReadOnlyList<string>? CorsOrigins { get; init; }

    public bool NoApiKeyCheck { get; init; }

    /// <summary>Parses <paramref name="args"/>; false with a null error for --help, false with an error for bad input.</summary>
    internal static bool TryParse(IReadOnlyList<string> args, out CommandLine command, out string? error)
    {
        command = new CommandLine();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inlineValue = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string? Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                return i + 1 < args.Count ? args[++i] : null;
            }

            switch (arg)
            {
                case "-h" or "--help":
                    return false;
                case "--port":
                    var portText = Value();
                    if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
                    {
                        error = $"--port needs a number from 0 to 65535, got '{portText}'.";
                        return false;
                    }

                    command = command with { Port = port };
                    break;
                case "--data-dir":
                    var dir = Value();
                    if (string.IsNullOrWhiteSpace(dir))
                    {
                        error = "--data-dir needs a directory.";
                        return false;
                    }

                    command = command with { DataDirectory = Path.GetFullPath(dir) };
                    break;
                case "--db-url":
                    var url = Value();
                    if (string.IsNullOrWhiteSpace(url))
                    {
                        error = "--db-url needs a PostgreSQL URL or connection string.";
                        return false;
                    }

                    command = command with { DatabaseUrl = url };
                    break;
                case "--supabase-dir":
                    var supabaseDir = Value();
                    if (string.IsNullOrWhiteSpace(supabaseDir) || !Directory.Exists(supabaseDir))
                    {
                        error = $"--supabase-dir needs an existing directory, got '{supabaseDir}'.";
                        return false;
                    }

                    command = command with { SupabaseDirectory = Path.GetFullPath(supabaseDir) };
                    break;
                case "--schemas":
                    var schemasText = Value();
                    var schemas = AutoCrm.DevStack.Rest.ExposedSchemas.TryParse(schemasText);
                    if (schemas is null)
                    {
                        error = $"--schemas needs a comma-separated list of schema names, got '{schemasText}'.";
                        return false;
                    }

                    command = command with { Schemas = schemas };
                    break;
                case "--no-seed" when inlineValue is null:
                    command = command with { Seed = false };
                    break;
                case "--reset" when inlineValue is null:
                    command = command with { Reset = true };
                    break;
                case "--no-apikey-check" when inlineValue is null:
                    command = command with { NoApiKeyCheck = true };
                    break;
                case "--auth-rate-limits" when inlineValue is null:
                    // The default now; still accepted so that older scripts keep working.
                    command = command with { AuthRateLimits = true };
                    break;
                case "--no-auth-rate-limits" when inlineValue is null:
                    command = command with { AuthRateLimits = false };
                    break;
                case "--demo-keys" when inlineValue is null:
                    command = command with { DemoKeys = true };
                    break;
                case "--cors-origins":
                    var originsText = Value();
                    var origins = originsText?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    if (origins is not { Length: > 0 })
                    {
                        error = $"--cors-origins needs a comma-separated list of origins (or *), got '{originsText}'.";
                        return false;
                    }

                    command = command with { CorsOrigins = origins };
                    break;
                default:
                    error = $"Unknown option '{args[i]}'.";
                    return false;
            }
        }

        return true;
    }
}
