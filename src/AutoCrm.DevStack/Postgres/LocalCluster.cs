using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AutoCrm.DevStack.Postgres;

/// <summary>
/// A PostgreSQL server for the DevStack: a local cluster created with <c>initdb</c> and run with <c>pg_ctl</c>
/// (throwaway or persistent), or an existing server it merely attaches to.
/// </summary>
internal sealed partial class LocalCluster : IAsyncDisposable
{
    private const string PgDataName = "pgdata";
    private const string ConfName = "autocrm.conf";

    // Unix socket paths are limited to 107 bytes; ".s.PGSQL.65535" is appended to the directory.
    private const int MaxSocketDirectoryLength = 90;

    private const string LogFileName = "postgres.log";

    private readonly string? _binDirectory;
    private readonly string? _rootDirectory;
    private readonly bool _throwaway;
    private readonly ILogger _logger;
    private int _disposed;

    private LocalCluster(string connectionString, int port, string? rootDirectory, string? binDirectory, bool throwaway, bool createdNow, ILogger logger)
    {
        ConnectionString = connectionString;
        Port = port;
        _rootDirectory = rootDirectory;
        _binDirectory = binDirectory;
        _throwaway = throwaway;
        CreatedNow = createdNow;
        _logger = logger;
    }

    /// <summary>
    /// Superuser connection string: <c>supabase_admin</c> for a local cluster (its bootstrap superuser, as in a Supabase
    /// image), the given login when attached.
    /// </summary>
    public string ConnectionString { get; }

    /// <summary>The server's TCP port.</summary>
    public int Port { get; }

    /// <summary>PGDATA of a local cluster; null when attached to an existing server.</summary>
    public string? DataDirectory => _rootDirectory is null ? null : Path.Combine(_rootDirectory, PgDataName);

    /// <summary>The server log (<c>pg_ctl -l</c>) of a local cluster; null when attached to an existing server.</summary>
    internal string? LogFile => _rootDirectory is null ? null : Path.Combine(_rootDirectory, LogFileName);

    /// <summary>True when this start ran <c>initdb</c> (a new, empty cluster).</summary>
    public bool CreatedNow { get; }

    /// <summary>The postmaster's PID from <c>postmaster.pid</c>, or null when no local server is running.</summary>
    internal int? ServerProcessId
    {
        get
        {
            var pidFile = DataDirectory is null ? null : Path.Combine(DataDirectory, "postmaster.pid");
            if (pidFile is null || !File.Exists(pidFile))
            {
                return null;
            }

            var first = File.ReadLines(pidFile).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
    }

    /// <summary>True when this instance started (and so stops) the server.</summary>
    public bool OwnsServer => _rootDirectory is not null;

    /// <summary>Attaches to an existing server; disposing it leaves that server alone.</summary>
    /// <param name="connectionString">A keyword connection string or a <c>postgresql://</c> URL.</param>
    public static LocalCluster Attach(string connectionString)
    {
        var normalized = ConnectionStrings.Normalize(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(normalized);
        return new LocalCluster(normalized, builder.Port, null, null, throwaway: false, createdNow: false, NullLogger.Instance);
    }

    /// <summary>Creates (if needed) and starts a local cluster.</summary>
    public static async Task<LocalCluster> StartAsync(LocalClusterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = options.Logger ?? NullLogger.Instance;
        var binDirectory = await FindBinDirectoryAsync(options, cancellationToken);
        var throwaway = options.DataDirectory is null;
        var root = throwaway
            ? Path.Combine(Path.GetTempPath(), "autocrm-pg-" + Guid.NewGuid().ToString("N")[..12])
            : Path.GetFullPath(options.DataDirectory!);
        var pgData = Path.Combine(root, PgDataName);
        try
        {
            Directory.CreateDirectory(root);
            if (ProcessRunner.IsRoot)
            {
                MakeTraversable(root);
                await ChownAsync(root, cancellationToken);
            }

            if (!throwaway)
            {
                await StopStaleServerAsync(binDirectory, pgData, logger, cancellationToken);
                if (options.Reset && Directory.Exists(pgData))
                {
                    Log.ResettingCluster(logger, pgData);
                    Directory.Delete(pgData, recursive: true);
                }
            }

            var durable = options.Durable ?? !throwaway;
            var createdNow = !File.Exists(Path.Combine(pgData, "PG_VERSION"));
            if (createdNow)
            {
                if (durable)
                {
                    await InitDbAsync(binDirectory, pgData, durable, logger, cancellationToken);
                }
                else
                {
                    await CopyTemplateAsync(binDirectory, pgData, logger, cancellationToken);
                }
            }

            if (throwaway)
            {
                StartWatchdog(binDirectory, pgData, root, options.WatchdogProcessId ?? Environment.ProcessId);
            }

            var port = await StartServerAsync(binDirectory, root, pgData, options.Port, durable, logger, cancellationToken);
            var connectionString = await SuperuserConnectionStringAsync(port, pgData, logger, cancellationToken);
            Log.ClusterStarted(logger, pgData, port, createdNow);
            return new LocalCluster(connectionString, port, root, binDirectory, throwaway, createdNow, logger);
        }
        catch
        {
            if (throwaway)
            {
                await StopServerAsync(binDirectory, pgData, CancellationToken.None);
                TryDeleteDirectory(root);
            }

            throw;
        }
    }

    /// <summary>
    /// <c>supabase_admin</c>, the bootstrap superuser of clusters this version creates. A data directory made by an
    /// older DevStack had <c>postgres</c> as its bootstrap superuser and may not have <c>supabase_admin</c> yet; its
    /// <c>postgres</c> then stays the superuser (the platform bootstrap warns that migrations are not Supabase-strict there).
    /// </summary>
    private static async Task<string> SuperuserConnectionStringAsync(int port, string pgData, ILogger logger, CancellationToken cancellationToken)
    {
        var connectionString = ConnectionStrings.Local(port);
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            return connectionString;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            Log.LegacySuperuser(logger, pgData);
            return ConnectionStrings.WithLogin(connectionString, ConnectionStrings.MigrationRoleName, ConnectionStrings.LocalPassword);
        }
    }

    /// <summary>Stops the server this instance started and deletes throwaway data; no-op when attached.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || _rootDirectory is null || _binDirectory is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        var pgData = Path.Combine(_rootDirectory, PgDataName);
        await StopServerAsync(_binDirectory, pgData, CancellationToken.None);
        Log.ClusterStopped(_logger, pgData);
        if (_throwaway)
        {
            TryDeleteDirectory(_rootDirectory);
        }
    }

    /// <summary>Finds the directory holding initdb, pg_ctl and postgres (pg_config first, then the newest installed major).</summary>
    internal static async Task<string> FindBinDirectoryAsync(LocalClusterOptions options, CancellationToken cancellationToken)
    {
        var looked = new List<string>();
        if (options.BinDirectory is not null)
        {
            looked.Add(options.BinDirectory);
            if (HasServerBinaries(options.BinDirectory))
            {
                return options.BinDirectory;
            }
        }
        else
        {
            if (options.UsePgConfig)
            {
                var result = await ProcessRunner.TryRunAsync("pg_config", ["--bindir"], cancellationToken);
                if (result is { Succeeded: true } r && r.Output.Length > 0)
                {
                    var dir = r.Output.Trim();
                    looked.Add(dir);
                    if (HasServerBinaries(dir))
                    {
                        return dir;
                    }
                }
            }

            if (Directory.Exists(options.PostgresInstallRoot))
            {
                var candidates = Directory.GetDirectories(options.PostgresInstallRoot)
                    .Select(d => (Dir: d, Major: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : -1))
                    .Where(c => c.Major >= 0)
                    .OrderByDescending(c => c.Major)
                    .Select(c => Path.Combine(c.Dir, "bin"));
                foreach (var dir in candidates)
                {
                    looked.Add(dir);
                    if (HasServerBinaries(dir))
                    {
                        return dir;
                    }
                }
            }
            else
            {
                looked.Add(options.PostgresInstallRoot + "/<version>/bin");
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found (looked in: "
            + string.Join(", ", looked)
            + "). Install them with `apt-get install postgresql` (Debian/Ubuntu; any major version 15 or newer), "
            + "or use an existing server instead: DevStackOptions.DatabaseUrl in code, or `--db-url postgresql://user:password@host:port/database` on the command line.");
    }

    private static bool HasServerBinaries(string dir) =>
        File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "postgres"));

    private static async Task StopStaleServerAsync(string binDirectory, string pgData, ILogger logger, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(pgData, "postmaster.pid")))
        {
            return;
        }

        // A lock file whose PID is not a running postgres is stale (the PID may even belong to an unrelated program
        // by now): remove it instead of letting pg_ctl signal that PID.
        var pidFile = Path.Combine(pgData, "postmaster.pid");
        if (int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && !IsPostgresProcess(pid))
        {
            File.Delete(pidFile);
            Log.StaleLockFileRemoved(logger, pgData, pid);
            return;
        }

        // A previous run died without stopping its server (or a server still runs here): stop it before reuse.
        var result = await ProcessRunner.RunAsync(Path.Combine(binDirectory, "pg_ctl"), ["stop", "-D", pgData, "-m", "immediate", "-w", "-t", "60"], asPostgres: true, cancellationToken);
        Log.StaleServerStopped(logger, pgData, result.Succeeded);
    }

    private static bool IsPostgresProcess(int pid)
    {
        try
        {
            var comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            return comm.StartsWith("postgres", StringComparison.Ordinal) || comm.StartsWith("postmaster", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true; // cannot tell: leave the file to postgres's own check
        }
    }

    /// <summary>
    /// A non-durable cluster starts as a copy of a cached, never-started initdb result (one per server binaries
    /// directory, shared by all processes of this OS user): copying takes a fraction of an initdb.
    /// </summary>
    private static async Task CopyTemplateAsync(string binDirectory, string pgData, ILogger logger, CancellationToken cancellationToken)
    {
        // The bootstrap superuser is part of the key: templates made when it was postgres must not be reused.
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(binDirectory + "\n" + ConnectionStrings.SuperuserName)))[..12];
        var templateRoot = Path.Combine(Path.GetTempPath(), $"autocrm-pg-template-{Environment.UserName}-{key}");
        var template = Path.Combine(templateRoot, PgDataName);
        var marker = Path.Combine(templateRoot, "complete");
        if (!File.Exists(marker))
        {
            await TemplateLock.WaitAsync(cancellationToken);
            try
            {
                if (!File.Exists(marker))
                {
                    var staging = templateRoot + ".staging-" + Guid.NewGuid().ToString("N")[..8];
                    Directory.CreateDirectory(staging);
                    if (ProcessRunner.IsRoot)
                    {
                        await ChownAsync(staging, cancellationToken);
                    }

                    await InitDbAsync(binDirectory, Path.Combine(staging, PgDataName), durable: false, logger, cancellationToken);
                    await File.WriteAllTextAsync(Path.Combine(staging, "complete"), binDirectory, cancellationToken);
                    try
                    {
                        Directory.Move(staging, templateRoot);
                    }
                    catch (IOException)
                    {
                        // Another process finished its template first; use that one.
                        TryDeleteDirectory(staging);
                        if (!File.Exists(marker))
                        {
                            TryDeleteDirectory(templateRoot);
                            Directory.Move(staging, templateRoot);
                        }
                    }
                }
            }
            finally
            {
                TemplateLock.Release();
            }
        }

        var result = await ProcessRunner.RunAsync("cp", ["-a", template, pgData], asPostgres: false, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not copy the cluster template {template} to {pgData}: {result.Output}");
        }
    }

    private static readonly SemaphoreSlim TemplateLock = new(1, 1);

    private static async Task InitDbAsync(string binDirectory, string pgData, bool durable, ILogger logger, CancellationToken cancellationToken)
    {
        Log.InitializingCluster(logger, pgData);
        if (Directory.Exists(pgData))
        {
            // A half-created directory from an interrupted initdb.
            Directory.Delete(pgData, recursive: true);
        }

        // The bootstrap superuser is supabase_admin, as in Supabase's image: the platform bootstrap then creates
        // postgres as the non-superuser role that migrations run as.
        List<string> args = ["-D", pgData, "-U", ConnectionStrings.SuperuserName, "--auth=trust", "--encoding=UTF8", "--locale=C"];
        if (!durable)
        {
            args.Add("--no-sync");
        }

        var result = await ProcessRunner.RunAsync(Path.Combine(binDirectory, "initdb"), args, asPostgres: true, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"initdb failed for {pgData} (exit code {result.ExitCode}): {result.Output}");
        }

        await File.AppendAllTextAsync(Path.Combine(pgData, "postgresql.conf"), $"\n# AutoCRM DevStack settings, rewritten on every start\ninclude_if_exists = '{ConfName}'\n", cancellationToken);
    }

    private static async Task<int> StartServerAsync(string binDirectory, string root, string pgData, int requestedPort, bool durable, ILogger logger, CancellationToken cancellationToken)
    {
        var logFile = Path.Combine(root, LogFileName);
        for (var attempt = 1; ; attempt++)
        {
            var port = requestedPort != 0 ? requestedPort : FreeTcpPort();
            await WriteSettingsAsync(binDirectory, root, pgData, port, durable, cancellationToken);
            var result = await ProcessRunner.RunAsync(
                Path.Combine(binDirectory, "pg_ctl"),
                ["start", "-D", pgData, "-l", logFile, "-w", "-t", "120", "-s"],
                asPostgres: true,
                cancellationToken,
                ServerEnvironment.ForServer(Environment.GetEnvironmentVariable));
            if (result.Succeeded)
            {
                return port;
            }

            var log = ReadTail(logFile);
            if (requestedPort == 0 && attempt < 3 && log.Contains("could not bind", StringComparison.OrdinalIgnoreCase))
            {
                // Someone took the free port between our probe and the server's bind.
                continue;
            }

            throw new InvalidOperationException($"PostgreSQL did not start on 127.0.0.1:{port} (pg_ctl exit code {result.ExitCode}). {result.Output}\n{log}");
        }
    }

    private static async Task WriteSettingsAsync(string binDirectory, string root, string pgData, int port, bool durable, CancellationToken cancellationToken)
    {
        var socketDirectory = root.Length <= MaxSocketDirectoryLength && !root.Contains('\'', StringComparison.Ordinal) ? root : string.Empty;
        var conf = new StringBuilder()
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine(CultureInfo.InvariantCulture, $"port = {port}")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = '{socketDirectory}'")
            .AppendLine("wal_level = logical")
            .AppendLine("max_replication_slots = 20")
            .AppendLine("max_wal_senders = 20")
            .AppendLine("max_connections = 200")
            .AppendLine("timezone = 'UTC'")
            // As on Supabase, whose pg_stat_statements turns it on: EXPLAIN VERBOSE shows the query identifier.
            .AppendLine("compute_query_id = on");
        if (HasPgCron(binDirectory))
        {
            // Supabase ships pg_cron preloaded, its jobs kept in the project database (postgres). Background workers
            // run the jobs, so they need no password or host to connect back with.
            conf.AppendLine("shared_preload_libraries = 'pg_cron'")
                .AppendLine(CultureInfo.InvariantCulture, $"cron.database_name = '{CronDatabase}'")
                .AppendLine("cron.use_background_workers = on")
                .AppendLine("max_worker_processes = 16");
        }

        if (!durable)
        {
            // Test data: durability buys nothing, speed does. synchronous_commit stays on: with fsync off it costs
            // only a write(), and logical replication (DevStack Realtime) ships a commit only once its WAL is flushed,
            // so with it off every change waited for the WAL writer (up to wal_writer_delay, 200 ms by default).
            // A short wal_writer_delay bounds that wait for sessions that turn synchronous_commit off themselves.
            conf.AppendLine("fsync = off").AppendLine("synchronous_commit = on").AppendLine("wal_writer_delay = 10ms").AppendLine("full_page_writes = off");
        }

        var path = Path.Combine(pgData, ConfName);
        await File.WriteAllTextAsync(path, conf.ToString(), cancellationToken);
        if (ProcessRunner.IsRoot)
        {
            await ChownAsync(path, cancellationToken);
        }
    }

    /// <summary>The database pg_cron keeps its jobs in (Supabase's project database).</summary>
    internal const string CronDatabase = "postgres";

    /// <summary>Whether the pg_cron library is installed for these server binaries (Debian: postgresql-15-cron).</summary>
    internal static bool HasPgCron(string binDirectory) =>
        File.Exists(Path.Combine(binDirectory, "..", "lib", "pg_cron.so"))
        || File.Exists(Path.Combine(binDirectory, "..", "lib", "postgresql", "pg_cron.so"));

    private static async Task StopServerAsync(string binDirectory, string pgData, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(pgData, "postmaster.pid")))
        {
            return;
        }

        var pgCtl = Path.Combine(binDirectory, "pg_ctl");
        var result = await ProcessRunner.RunAsync(pgCtl, ["stop", "-D", pgData, "-m", "fast", "-w", "-t", "60"], asPostgres: true, cancellationToken);
        if (!result.Succeeded && File.Exists(Path.Combine(pgData, "postmaster.pid")))
        {
            await ProcessRunner.RunAsync(pgCtl, ["stop", "-D", pgData, "-m", "immediate", "-w", "-t", "60"], asPostgres: true, cancellationToken);
        }
    }

    /// <summary>
    /// Stops a throwaway server if this process dies without disposing it: a detached shell polls our PID once a
    /// second (a process watchdog, not a wait in a test) and stops the server and deletes its directory.
    /// </summary>
    private static void StartWatchdog(string binDirectory, string pgData, string root, int watchedProcessId)
    {
        const string script = """
            exec </dev/null >/dev/null 2>&1
            while kill -0 "$1" && [ -d "$2" ]; do sleep 1; done
            if [ -d "$2" ]; then
              if [ "$5" = root ]; then runuser -u postgres -- "$4/pg_ctl" stop -D "$2" -m immediate -w; else "$4/pg_ctl" stop -D "$2" -m immediate -w; fi
              rm -rf "$3"
            fi
            """;
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in new[] { "-f", "sh", "-c", script, "autocrm-pg-watchdog", watchedProcessId.ToString(CultureInfo.InvariantCulture), pgData, root, binDirectory, ProcessRunner.IsRoot ? "root" : "user" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info);
        process?.WaitForExit();
    }

    internal static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task ChownAsync(string path, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("chown", ["-R", $"{ProcessRunner.PostgresOsUser}:{ProcessRunner.PostgresOsUser}", path], asPostgres: false, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not give {path} to the '{ProcessRunner.PostgresOsUser}' OS user: {result.Output}");
        }
    }

    /// <summary>The postgres OS user must be able to reach the cluster directory (e.g. under a 0700 mktemp directory).</summary>
    private static void MakeTraversable(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        for (var dir = Path.GetDirectoryName(directory); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                File.SetUnixFileMode(dir, mode | UnixFileMode.OtherExecute);
            }
        }
    }

    private static string ReadTail(string file)
    {
        try
        {
            var lines = File.ReadAllLines(file);
            return string.Join('\n', lines.TakeLast(20));
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: the watchdog or the OS temp cleaner removes leftovers.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Information, "Initializing a PostgreSQL cluster in {PgData}")]
        public static partial void InitializingCluster(ILogger logger, string pgData);

        [LoggerMessage(1002, LogLevel.Information, "PostgreSQL started: {PgData} on 127.0.0.1:{Port} (new cluster: {CreatedNow})")]
        public static partial void ClusterStarted(ILogger logger, string pgData, int port, bool createdNow);

        [LoggerMessage(1003, LogLevel.Information, "PostgreSQL stopped: {PgData}")]
        public static partial void ClusterStopped(ILogger logger, string pgData);

        [LoggerMessage(1004, LogLevel.Warning, "A server left running in {PgData} was stopped before reuse (pg_ctl succeeded: {Stopped})")]
        public static partial void StaleServerStopped(ILogger logger, string pgData, bool stopped);

        [LoggerMessage(1006, LogLevel.Warning, "Removed a stale lock file in {PgData} (PID {Pid} is not a running postgres)")]
        public static partial void StaleLockFileRemoved(ILogger logger, string pgData, int pid);

        [LoggerMessage(1007, LogLevel.Warning, "The cluster in {PgData} was created by an older DevStack (postgres is its bootstrap superuser); recreate it with --reset to apply migrations as Supabase's non-superuser postgres role")]
        public static partial void LegacySuperuser(ILogger logger, string pgData);

        [LoggerMessage(1005, LogLevel.Warning, "Resetting the cluster in {PgData}")]
        public static partial void ResettingCluster(ILogger logger, string pgData);
    }
}
