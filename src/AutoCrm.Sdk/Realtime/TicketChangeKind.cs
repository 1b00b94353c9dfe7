namespace AutoCrm.Sdk.Realtime;

/// <summary>What happened to a ticket row.</summary>
public enum TicketChangeKind
{
    /// <summary>A ticket was created.</summary>
    Inserted = 0,

    /// <summary>A ticket was changed.</summary>
    Updated = 1,

    /// <summary>A ticket was deleted.</summary>
    Deleted = 2,
}
