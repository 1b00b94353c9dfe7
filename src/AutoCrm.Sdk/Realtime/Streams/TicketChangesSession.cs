using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Realtime.Protocol;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary><c>postgres_changes</c> on <c>public.tickets</c> as typed <see cref="TicketChange"/>s.</summary>
internal sealed class TicketChangesSession(RealtimeClient client, IObserver<TicketChange> observer, TicketChangeFilter filter)
    : StreamSession<TicketChange>(client, observer)
{
    protected override RealtimeChannel CreateChannel() =>
        NewChannel(
            new RealtimeChannelConfig { PostgresChanges = [new PostgresChangesBinding(filter.ServerEvent, "public", "tickets", filter.RowFilter)] },
            OnChange);

    private void OnChange(PostgresChangesBinding binding, PostgresChange change)
    {
        if (Decode(change) is { } decoded && filter.Accepts(decoded.Kind))
        {
            Emit(decoded);
        }
    }

    /// <summary>Decodes one change (also the benchmark's unit of work).</summary>
    internal static TicketChange? Decode(in PostgresChange change)
    {
        var kind = change.Type switch
        {
            "INSERT" => TicketChangeKind.Inserted,
            "UPDATE" => TicketChangeKind.Updated,
            "DELETE" => TicketChangeKind.Deleted,
            _ => (TicketChangeKind?)null,
        };
        if (kind is null)
        {
            return null;
        }

        var ticket = change.HasRecord ? RowJson.Read(change.Record, CrmJsonContext.Default.Ticket) : null;

        // Decoded lazily, on the first read of TicketChange.Old (a primary-key-only row decodes to null).
        var old = change.HasOldRecord ? change.OldRecord : default;
        Guid id;
        if (ticket is not null)
        {
            id = ticket.Id;
        }
        else if (change.HasOldRecord && RowJson.Property(change.OldRecord, "id"u8) is { IsEmpty: false } idJson
            && JsonSerializer.Deserialize(idJson.Span, CrmJsonContext.Default.Guid) is var oldId && oldId != Guid.Empty)
        {
            id = oldId;
        }
        else
        {
            return null;
        }

        return new TicketChange
        {
            Kind = kind.Value,
            TicketId = id,
            New = ticket,
            OldRow = old,
            CommitTimestamp = change.CommitTimestamp,
        };
    }
}
