using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Realtime.Protocol;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Realtime;

/// <summary>A change to a ticket row, from <see cref="RealtimeClient.TicketChanges"/>.</summary>
public sealed record TicketChange
{
    /// <summary>A <see cref="Ticket"/>, or <see cref="LazyTicket"/> until <see cref="Old"/> is first read, or null.</summary>
    private object? _old;

    /// <summary>Inserted, updated or deleted.</summary>
    public required TicketChangeKind Kind { get; init; }

    /// <summary>The ticket's id (always known, also for deletes).</summary>
    public required Guid TicketId { get; init; }

    /// <summary>The ticket after the change (inserts and updates); null for deletes.</summary>
    public Ticket? New { get; init; }

    /// <summary>The ticket before the change (updates; deletes when the server sends the whole old row). Row-level security
    /// limits a deleted row to its primary key, in which case this is null. Decoded from the frame on first read (most
    /// subscribers never look at it); thread-safe.</summary>
    public Ticket? Old
    {
        get
        {
            var state = Volatile.Read(ref _old);
            if (state is LazyTicket lazy)
            {
                Interlocked.CompareExchange(ref _old, lazy.Decode(), state);
                state = Volatile.Read(ref _old);
            }

            return state as Ticket;
        }

        init => _old = value;
    }

    /// <summary>When the change was committed (UTC).</summary>
    public DateTimeOffset CommitTimestamp { get; init; }

    /// <summary>Sets <see cref="Old"/> to a row decoded on first read.</summary>
    internal ReadOnlyMemory<byte> OldRow
    {
        init => _old = value.IsEmpty ? null : new LazyTicket(value);
    }

    /// <summary>Equal when kind, id, both tickets and the commit time are equal (<see cref="Old"/> compared decoded).</summary>
    /// <param name="other">The other change.</param>
    /// <returns>Whether the changes are equal.</returns>
    public bool Equals(TicketChange? other) =>
        other is not null && Kind == other.Kind && TicketId == other.TicketId && Equals(New, other.New) && Equals(Old, other.Old)
        && CommitTimestamp == other.CommitTimestamp;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, TicketId, New, Old, CommitTimestamp);

    private sealed class LazyTicket(ReadOnlyMemory<byte> row)
    {
        /// <summary>Under row-level security a deleted row carries only its primary key: no typed old ticket then.</summary>
        public Ticket? Decode() => RowJson.Property(row, "status"u8).IsEmpty ? null : RowJson.Read(row, CrmJsonContext.Default.Ticket);
    }
}
