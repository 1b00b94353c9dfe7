namespace AutoCrm.DevStack.Realtime;

/// <summary>Tunables of the Realtime service (defaults follow Phoenix and supabase/realtime).</summary>
internal sealed record RealtimeOptions
{
    /// <summary>Frames buffered per socket before a slow consumer is disconnected.</summary>
    public int SendBufferFrames { get; init; } = 1024;

    /// <summary>A socket that sends nothing for this long is closed (Phoenix default 60 s).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest client frame accepted; larger frames close that socket with 1009.</summary>
    public int MaxFrameBytes { get; init; } = 1024 * 1024;

    /// <summary>How long a closing socket may take to finish its close handshake before it is aborted.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The publication whose tables emit postgres_changes.</summary>
    public string PublicationName { get; init; } = "supabase_realtime";

    /// <summary>Superuser connection string used for logical replication and the row-level-security checks.</summary>
    public required string AdminConnectionString { get; init; }

    /// <summary>A superuser pool to share (the DevStack's admin pool); null = the service opens its own.</summary>
    public Npgsql.NpgsqlDataSource? DataSource { get; init; }

    /// <summary>Opaque project keys (PROTOCOLS §1.3) and the JWTs they stand for.</summary>
    public IReadOnlyDictionary<string, string> OpaqueKeys { get; init; } = new Dictionary<string, string>();
}
