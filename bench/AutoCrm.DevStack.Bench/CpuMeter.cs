using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace AutoCrm.DevStack.Bench;

/// <summary>
/// CPU time used by this process (client and DevStack), or by another process (an external DevStack), plus every
/// process of the PostgreSQL cluster, from /proc.
/// Unlike throughput on a shared machine, CPU time per request hardly depends on what other processes run.
/// </summary>
internal sealed class CpuMeter
{
    private readonly int postmasterPid;
    private readonly double ticksPerSecond;
    private readonly int? processId;

    // CPU seen so far per cluster process, and the running total: a process that ends between two reads (an autovacuum
    // worker, a pg_cron job) must not take the CPU it had already used out of the total, which made deltas negative.
    private readonly Dictionary<int, long> lastTicks = [];
    private readonly Lock gate = new();
    private long databaseTicks;

    private CpuMeter(int postmasterPid, double ticksPerSecond, int? processId)
    {
        this.postmasterPid = postmasterPid;
        this.ticksPerSecond = ticksPerSecond;
        this.processId = processId;
    }

    /// <param name="adminConnectionString">A superuser connection to the cluster.</param>
    /// <param name="processId">The process measured besides the cluster; this one when null.</param>
    public static async Task<CpuMeter?> CreateAsync(string adminConnectionString, int? processId = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        await using var dataSource = NpgsqlDataSource.Create(adminConnectionString);
        await using var command = dataSource.CreateCommand("select setting from pg_settings where name = 'data_directory'");
        var dataDirectory = (string)(await command.ExecuteScalarAsync())!;
        var pidLine = (await File.ReadAllLinesAsync(Path.Combine(dataDirectory, "postmaster.pid")))[0];
        return new CpuMeter(int.Parse(pidLine, CultureInfo.InvariantCulture), 100.0, processId);
    }

    /// <summary>
    /// Seconds of CPU: (the measured process, the cluster's processes). The database figure only grows: it adds what
    /// each cluster process used since the previous read (all of it for a process new since then).
    /// </summary>
    public (double Process, double Database) Read()
    {
        var self = processId is { } id ? Ticks(id) / ticksPerSecond : Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var current = new Dictionary<int, long>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

                // After "pid (comm) ": state, ppid, …, utime (14th field overall), stime (15th).
                var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (pid == postmasterPid || ppid == postmasterPid)
                {
                    current[pid] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while we looked.
            }
        }

        lock (gate)
        {
            foreach (var (pid, ticks) in current)
            {
                // A smaller value than last time means the pid was reused by a new process.
                databaseTicks += lastTicks.TryGetValue(pid, out var before) && ticks >= before ? ticks - before : ticks;
            }

            lastTicks.Clear();
            foreach (var (pid, ticks) in current)
            {
                lastTicks[pid] = ticks;
            }

            return (self, databaseTicks / ticksPerSecond);
        }
    }

    /// <summary>utime + stime of one process (all its threads), in clock ticks.</summary>
    private static long Ticks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
