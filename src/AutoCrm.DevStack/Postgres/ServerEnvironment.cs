namespace AutoCrm.DevStack.Postgres;

/// <summary>Environment variables a local cluster's <c>pg_ctl start</c> (and so every PostgreSQL process) runs with.</summary>
internal static class ServerEnvironment
{
    /// <summary>The variable glibc reads its malloc tunables from at process start.</summary>
    internal const string GlibcTunablesName = "GLIBC_TUNABLES";

    /// <summary>
    /// Fixed heap thresholds for glibc's malloc: memory is returned to the kernel only when 16 MB lie free at the top of
    /// the heap, and only allocations of 4 MB or more are mapped separately.
    /// </summary>
    /// <remarks>
    /// With glibc's defaults a backend trims its heap as soon as 128 KB lie free at its top (until a freed large block
    /// raises the line). A backend whose heap top sits near that line then grows the heap for a request's large chunk
    /// (a 50-row <c>json_agg</c> buffer is enough) and gives it back when the executor frees it: two <c>brk</c> calls
    /// and fresh page faults on every request. Whether a backend lands there depends on what it allocated before: over
    /// the wave-2 schema, once key lookups had run, every 50-row list request paid it (+115–165 µs of backend CPU, the
    /// list 25 % slower; bench/README.md, "DevStack REST"). Both thresholds are set because setting one turns glibc's
    /// dynamic adjustment off; the values lie within the range that adjustment reaches. A backend keeps at most 16 MB of
    /// freed heap for reuse.
    /// </remarks>
    internal const string MallocTunables = "glibc.malloc.trim_threshold=16777216:glibc.malloc.mmap_threshold=4194304";

    /// <summary>
    /// The variables to add for the server: the malloc tunables on Linux, unless the caller's environment already sets
    /// <c>GLIBC_TUNABLES</c> (then theirs apply unchanged).
    /// </summary>
    internal static IReadOnlyDictionary<string, string> ForServer(Func<string, string?> currentEnvironment) =>
        OperatingSystem.IsLinux() && string.IsNullOrEmpty(currentEnvironment(GlibcTunablesName))
            ? new Dictionary<string, string>(StringComparer.Ordinal) { [GlibcTunablesName] = MallocTunables }
            : new Dictionary<string, string>(StringComparer.Ordinal);
}
