namespace AutoCrm.Sdk.Realtime;

/// <summary>How <see cref="RealtimeClient.Broadcast"/> opens a channel.</summary>
public sealed record BroadcastOptions
{
    /// <summary>Whether this client also receives its own messages (<c>broadcast.self</c>). Default false.</summary>
    public bool ReceiveOwn { get; init; }

    /// <summary>
    /// Join as a private channel (<c>config.private</c>, the default): the project's policies on <c>realtime.messages</c> decide
    /// who may listen and who may send. AutoCRM's policies open <c>agents</c> and <c>agents:&lt;name&gt;</c> to staff only.
    /// Set false for a public channel that anyone with the project key can join and send to.
    /// </summary>
    public bool Private { get; init; } = true;
}
