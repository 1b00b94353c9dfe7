namespace AutoCrm.Scale.Bench;

/// <summary>The machine's load average (1, 5, 15 minutes), written beside every figure: the benchmark machine is shared.</summary>
internal static class LoadAverage
{
    public static string Now => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static double OneMinute => File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
}
