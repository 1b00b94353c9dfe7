namespace AutoCrm.Sdk.Realtime;

/// <summary>The state of the realtime socket, reported by <c>RealtimeClient.ConnectionStates</c>.</summary>
public enum RealtimeConnectionState
{
    /// <summary>No socket: nothing is subscribed, or the client was disposed.</summary>
    Disconnected = 0,

    /// <summary>The first connection attempt after the first subscription.</summary>
    Connecting = 1,

    /// <summary>The socket is open; channels are joined or joining.</summary>
    Connected = 2,

    /// <summary>The socket dropped (or an attempt failed); the client is waiting out its backoff or reconnecting. Subscriptions stay alive.</summary>
    Reconnecting = 3,
}
