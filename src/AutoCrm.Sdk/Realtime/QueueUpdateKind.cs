namespace AutoCrm.Sdk.Realtime;

/// <summary>What happened to a ticket in a queue.</summary>
public enum QueueUpdateKind
{
    /// <summary>The ticket entered the queue (created in it or transferred into it).</summary>
    Entered = 0,

    /// <summary>The ticket left the queue (transferred elsewhere or unqueued).</summary>
    Left = 1,

    /// <summary>An agent took the ticket (claimed or assigned).</summary>
    Claimed = 2,

    /// <summary>The ticket's agent let it go; it is back in the queue unassigned.</summary>
    Released = 3,

    /// <summary>
    /// An agent's open tickets changed without an assignment (the ticket was solved, closed, reopened or put back to
    /// active work); <see cref="QueueUpdate.AgentLoads"/> has the new load. Assignments carry their loads on
    /// <see cref="Claimed"/> and <see cref="Released"/>.
    /// </summary>
    LoadChanged = 4,
}
