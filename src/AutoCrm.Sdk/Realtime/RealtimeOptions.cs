namespace AutoCrm.Sdk.Realtime;

/// <summary>Settings of the realtime client.</summary>
public sealed record RealtimeOptions
{
    /// <summary>The Phoenix serializer; <see cref="RealtimeProtocolVersion.V2"/> (realtime-js's default) unless the server is old.</summary>
    public RealtimeProtocolVersion ProtocolVersion { get; init; } = RealtimeProtocolVersion.V2;

    /// <summary>How often the socket heartbeats; a heartbeat unanswered by the next one closes and reconnects the socket. Default 25 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>How long a join or an acknowledged push waits for its reply. Default 10 s.</summary>
    public TimeSpan PushTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether <see cref="RealtimeClient.StatusChanges"/> and <see cref="RealtimeClient.QueueUpdates"/> catch up after a reconnect
    /// by reading <c>ticket_events</c> they missed. Default true; false gives plain at-most-once Realtime delivery.
    /// </summary>
    public bool CatchUpAfterReconnect { get; init; } = true;
}
