namespace AutoCrm.Sdk.Realtime;

/// <summary>Someone looking at a ticket (presence), from <see cref="RealtimeClient.Viewers"/>.</summary>
public sealed record TicketViewer
{
    /// <summary>The presence key: the user's id when known.</summary>
    public required string Key { get; init; }

    /// <summary>The user's id, when the viewer was signed in.</summary>
    public Guid? UserId { get; init; }

    /// <summary>When the viewer started looking (their earliest open view).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>How many views (tabs, devices) the viewer has open.</summary>
    public int Connections { get; init; } = 1;

    /// <summary>True for the user of this client.</summary>
    public bool IsCurrentUser { get; init; }
}
