using System.Text.Json;

namespace AutoCrm.ConsoleHost.Demo;

/// <summary>Turns <c>ticket_events</c> rows into the items the SDK's streams emit, with the same rules: a status change per
/// <c>status_changed</c>; a queue update per ticket entering/leaving one of the queues and per (un)assignment while in it.
/// The demo uses it to know which events the streams must deliver.</summary>
internal static class DemoProjection
{
    internal static IEnumerable<DemoEvent> Project(JsonElement row, IReadOnlySet<Guid> queues, Dictionary<Guid, Guid?> ticketQueues)
    {
        var id = row.GetProperty("id").GetInt64();
        var ticket = row.GetProperty("ticket_id").GetGuid();
        var kind = row.GetProperty("kind").GetString();
        var changes = row.GetProperty("changes");
        var events = new List<DemoEvent>();
        switch (kind)
        {
            case "status_changed" when Pair(changes, "status") is (var from, var to):
                events.Add(new DemoEvent(DemoEvent.StatusStream, DemoEvent.StatusKey(id), ticket, $"{from} → {to}"));
                break;
            case "created":
                var created = Pair(changes, "queue_id")?.To is { } q && Guid.TryParse(q, out var g) ? g : (Guid?)null;
                ticketQueues[ticket] = created;
                if (created is { } cq && queues.Contains(cq))
                {
                    events.Add(new DemoEvent(DemoEvent.QueueStream, DemoEvent.QueueKey(cq, id, "entered"), ticket, "entered"));
                    if (Pair(changes, "assignee_id")?.To is not null)
                    {
                        events.Add(new DemoEvent(DemoEvent.QueueStream, DemoEvent.QueueKey(cq, id, "claimed"), ticket, "claimed"));
                    }
                }

                break;
            case "queue_changed" when Pair(changes, "queue_id") is (var fromQueue, var toQueue):
                if (Guid.TryParse(fromQueue, out var fq) && queues.Contains(fq))
                {
                    events.Add(new DemoEvent(DemoEvent.QueueStream, DemoEvent.QueueKey(fq, id, "left"), ticket, "left"));
                }

                var tq = Guid.TryParse(toQueue, out var t) ? t : (Guid?)null;
                ticketQueues[ticket] = tq;
                if (tq is { } tqv && queues.Contains(tqv))
                {
                    events.Add(new DemoEvent(DemoEvent.QueueStream, DemoEvent.QueueKey(tqv, id, "entered"), ticket, "entered"));
                }

                break;
            case "assignee_changed" when Pair(changes, "assignee_id") is (_, var after):
                if (ticketQueues.TryGetValue(ticket, out var inQueue) && inQueue is { } iq && queues.Contains(iq))
                {
                    var what = after is null ? "released" : "claimed";
                    events.Add(new DemoEvent(DemoEvent.QueueStream, DemoEvent.QueueKey(iq, id, what), ticket, what));
                }

                break;
        }

        return events;
    }

    private static (string? From, string? To)? Pair(JsonElement changes, string field) =>
        changes.ValueKind == JsonValueKind.Object && changes.TryGetProperty(field, out var pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
            ? (Text(pair[0]), Text(pair[1]))
            : null;

    private static string? Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => e.GetString(),
        _ => e.GetRawText(),
    };
}
