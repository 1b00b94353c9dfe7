namespace AutoCrm.DevStack.Realtime;

/// <summary>Tunables of the Realtime service (defaults follow Phoenix and supabase/realtime).</summary>
internal sealed record RealtimeOptions
{
    /// <summary>Frames buffered per socket before a slow consumer is disconnected.</summary>
    public int SendBufferFrames { get; init; } = 1024;

    /// <summary>A socket that sends nothing for this long is closed (Phoenix default 60 s).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Largest client websocket message accepted at all; larger ones close that socket with 1009. It sits above
    /// <see cref="MaxPayloadBytes"/> so that an oversized broadcast or track gets Realtime's own answer first.
    /// </summary>
    public int MaxFrameBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Largest broadcast or presence-track payload (Realtime's tenant <c>max_payload_size_in_kb</c>, 3000 by default,
    /// compared as kB × 1000): a larger broadcast is dropped (with ack: error reply <c>payload_size_exceeded</c>), a
    /// larger track shuts the channel down with "Track message size exceeded".
    /// </summary>
    public int MaxPayloadBytes { get; init; } = 3000 * 1000;

    /// <summary>
    /// A change whose record is larger than this (Realtime's apply_rls <c>max_record_bytes</c>, 1 MiB) is delivered
    /// with only the values of at most 64 bytes and <c>errors: ["Error 413: Payload Too Large"]</c>.
    /// </summary>
    public int MaxRecordBytes { get; init; } = 1024 * 1024;

    /// <summary>Presence pushes a channel may make per <see cref="ClientPresenceWindow"/> (Realtime's CLIENT_PRESENCE_MAX_CALLS).</summary>
    public int ClientPresenceMaxCalls { get; init; } = 5;

    /// <summary>The client presence window (Realtime's CLIENT_PRESENCE_WINDOW_MS, 30 s).</summary>
    public TimeSpan ClientPresenceWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a closing socket may take to finish its close handshake before it is aborted.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>What one client (socket) may use: channels, joins per second, bindings, filter work.</summary>
    public RealtimeLimits Limits { get; init; } = new();

    /// <summary>The publication whose tables emit postgres_changes.</summary>
    public string PublicationName { get; init; } = "supabase_realtime";

    /// <summary>Superuser connection string used for logical replication and the row-level-security checks.</summary>
    public required string AdminConnectionString { get; init; }

    /// <summary>A superuser pool to share (the DevStack's admin pool); null = the service opens its own.</summary>
    public Npgsql.NpgsqlDataSource? DataSource { get; init; }

    /// <summary>Opaque project keys (docs/protocols.md#project-keys) and the JWTs they stand for.</summary>
    public IReadOnlyDictionary<string, string> OpaqueKeys { get; init; } = new Dictionary<string, string>();
}
