using System.Globalization;
using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Realtime.Protocol;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>New rows of <c>public.ticket_messages</c> for one ticket (row-level security hides internal notes from customers).</summary>
internal sealed class MessagesSession(RealtimeClient client, IObserver<TicketMessage> observer, Guid ticketId)
    : StreamSession<TicketMessage>(client, observer)
{
    protected override RealtimeChannel CreateChannel() =>
        NewChannel(
            new RealtimeChannelConfig
            {
                PostgresChanges = [new PostgresChangesBinding("INSERT", "public", "ticket_messages", string.Create(CultureInfo.InvariantCulture, $"ticket_id=eq.{ticketId}"))],
            },
            (_, change) =>
            {
                if (change.HasRecord && RowJson.Read(change.Record, CrmJsonContext.Default.TicketMessage) is { } message)
                {
                    Emit(message);
                }
            });
}
