namespace AutoCrm.DevStack.Postgres;

/// <summary>How <see cref="LocalCluster"/> creates and starts a cluster.</summary>
internal sealed record LocalClusterOptions
{
    /// <summary>
    /// The cluster directory (PGDATA is its <c>pgdata</c> sub-directory, sockets and the log live next to it).
    /// Null = a throwaway directory under the temp path, deleted on dispose.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 = any free port.</summary>
    public int Port { get; init; }

    /// <summary>Delete an existing cluster in <see cref="DataDirectory"/> and create a new one.</summary>
    public bool Reset { get; init; }

    /// <summary>Directory holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>; null = discover.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Directories searched for <c>&lt;major&gt;/bin</c> when <see cref="BinDirectory"/> is null (tests replace it).</summary>
    public string PostgresInstallRoot { get; init; } = "/usr/lib/postgresql";

    /// <summary>Whether <c>pg_config --bindir</c> is asked first when <see cref="BinDirectory"/> is null.</summary>
    public bool UsePgConfig { get; init; } = true;

    /// <summary>
    /// Whether the cluster survives a crash (fsync on). Null = durable for a persistent directory, not for a throwaway
    /// one. Non-durable clusters are also created by copying a cached initdb template, which is much faster.
    /// </summary>
    public bool? Durable { get; init; }

    /// <summary>The process whose death stops a throwaway cluster (tests use a stand-in); null = this process.</summary>
    public int? WatchdogProcessId { get; init; }

    public ILogger? Logger { get; init; }
}
