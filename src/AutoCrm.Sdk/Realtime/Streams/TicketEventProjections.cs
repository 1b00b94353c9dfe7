using System.Text.Json;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Realtime.Streams;

/// <summary>Which queue each ticket is in, learned from the events themselves and, for tickets not seen yet, from REST.</summary>
internal sealed class QueueMembership(ITicketEventReader reader)
{
    private readonly Dictionary<Guid, Guid?> _queues = [];

    public void Observe(TicketEvent ticketEvent)
    {
        if (ticketEvent.Kind.Value is "created" or "queue_changed" && TicketEventChanges.TryGet(ticketEvent, "queue_id", out _, out var queue))
        {
            _queues[ticketEvent.TicketId] = TicketEventChanges.AsGuid(queue);
        }
    }

    public async ValueTask<Guid?> QueueOfAsync(Guid ticketId, CancellationToken cancellationToken)
    {
        if (!_queues.TryGetValue(ticketId, out var queue))
        {
            queue = await reader.QueueOfAsync(ticketId, cancellationToken).ConfigureAwait(false);
            _queues[ticketId] = queue;
        }

        return queue;
    }
}

/// <summary><c>status_changed</c> events as <see cref="TicketStatusChanged"/>, optionally limited to one queue.</summary>
internal sealed class StatusChangeProjection(Guid? queueId, ITicketEventReader reader) : ITicketEventProjection<TicketStatusChanged>
{
    private readonly QueueMembership _membership = new(reader);

    public IReadOnlyList<string> Kinds { get; } = queueId is null ? ["status_changed"] : ["created", "status_changed", "queue_changed"];

    public async ValueTask ProjectAsync(TicketEvent ticketEvent, List<TicketStatusChanged> output, CancellationToken cancellationToken)
    {
        _membership.Observe(ticketEvent);
        if (ticketEvent.Kind != TicketEventKind.StatusChanged || !TicketEventChanges.TryGet(ticketEvent, "status", out var from, out var to))
        {
            return;
        }

        if (queueId is not null && await _membership.QueueOfAsync(ticketEvent.TicketId, cancellationToken).ConfigureAwait(false) != queueId)
        {
            return;
        }

        if (TicketEventChanges.AsStatus(from) is { } fromStatus && TicketEventChanges.AsStatus(to) is { } toStatus)
        {
            output.Add(new TicketStatusChanged
            {
                TicketId = ticketEvent.TicketId,
                From = fromStatus,
                To = toStatus,
                ActorId = ticketEvent.ActorId,
                ChangedAt = ticketEvent.CreatedAt,
                EventId = ticketEvent.Id,
            });
        }
    }
}

/// <summary><c>created</c>, <c>queue_changed</c> and <c>assignee_changed</c> events as <see cref="QueueUpdate"/>s of one queue.</summary>
internal sealed class QueueUpdateProjection(Guid queueId, ITicketEventReader reader) : ITicketEventProjection<QueueUpdate>
{
    private readonly QueueMembership _membership = new(reader);

    // Loads of an assignment wait for the created or assignee_changed event of the same ticket, which the database
    // writes right after them in the same transaction (agent_load_changed carries "assignee_id" then).
    private readonly Dictionary<Guid, IReadOnlyList<AgentLoad>> _pendingLoads = [];

    public IReadOnlyList<string> Kinds { get; } = ["created", "queue_changed", "assignee_changed", "agent_load_changed"];

    public async ValueTask ProjectAsync(TicketEvent ticketEvent, List<QueueUpdate> output, CancellationToken cancellationToken)
    {
        switch (ticketEvent.Kind.Value)
        {
            case "created":
                _membership.Observe(ticketEvent);
                if (TicketEventChanges.TryGet(ticketEvent, "queue_id", out _, out var createdIn) && TicketEventChanges.AsGuid(createdIn) == queueId)
                {
                    output.Add(Update(QueueUpdateKind.Entered, ticketEvent, agent: null));
                    if (TicketEventChanges.TryGet(ticketEvent, "assignee_id", out _, out var assignee) && TicketEventChanges.AsGuid(assignee) is { } agent)
                    {
                        output.Add(Update(QueueUpdateKind.Claimed, ticketEvent, agent) with { AgentLoads = TakeLoads(ticketEvent.TicketId) });
                    }
                }

                _pendingLoads.Remove(ticketEvent.TicketId);
                break;
            case "queue_changed":
                _membership.Observe(ticketEvent);
                if (TicketEventChanges.TryGet(ticketEvent, "queue_id", out var fromQueue, out var toQueue))
                {
                    if (TicketEventChanges.AsGuid(fromQueue) == queueId)
                    {
                        output.Add(Update(QueueUpdateKind.Left, ticketEvent, agent: null));
                    }

                    if (TicketEventChanges.AsGuid(toQueue) == queueId)
                    {
                        output.Add(Update(QueueUpdateKind.Entered, ticketEvent, agent: null));
                    }
                }

                break;
            case "assignee_changed":
                if (TicketEventChanges.TryGet(ticketEvent, "assignee_id", out var before, out var after)
                    && await _membership.QueueOfAsync(ticketEvent.TicketId, cancellationToken).ConfigureAwait(false) == queueId)
                {
                    output.Add((TicketEventChanges.AsGuid(after) is { } claimedBy
                        ? Update(QueueUpdateKind.Claimed, ticketEvent, claimedBy)
                        : Update(QueueUpdateKind.Released, ticketEvent, TicketEventChanges.AsGuid(before))) with { AgentLoads = TakeLoads(ticketEvent.TicketId) });
                }

                _pendingLoads.Remove(ticketEvent.TicketId);
                break;
            case "agent_load_changed":
                var loads = Loads(ticketEvent);
                if (ticketEvent.Changes.ContainsKey("assignee_id"))
                {
                    _pendingLoads[ticketEvent.TicketId] = loads;
                }
                else if (await _membership.QueueOfAsync(ticketEvent.TicketId, cancellationToken).ConfigureAwait(false) == queueId)
                {
                    output.Add(Update(QueueUpdateKind.LoadChanged, ticketEvent, loads.Count == 1 ? loads[0].AgentId : null) with { AgentLoads = loads });
                }

                break;
        }
    }

    private IReadOnlyList<AgentLoad> TakeLoads(Guid ticketId) =>
        _pendingLoads.Remove(ticketId, out var loads) ? loads : [];

    // changes = {"<agent id>": [{"open_tickets", "capacity"} before, … after], "assignee_id": [old, new]?}
    private static List<AgentLoad> Loads(TicketEvent ticketEvent)
    {
        var loads = new List<AgentLoad>();
        foreach (var (key, change) in ticketEvent.Changes)
        {
            if (Guid.TryParse(key, out var agent) && change.New.ValueKind == JsonValueKind.Object
                && change.New.TryGetProperty("open_tickets", out var open) && open.TryGetInt32(out var openTickets))
            {
                loads.Add(new AgentLoad
                {
                    AgentId = agent,
                    OpenTickets = openTickets,
                    Capacity = change.New.TryGetProperty("capacity", out var capacity) && capacity.TryGetInt32(out var limit) ? limit : null,
                });
            }
        }

        loads.Sort((a, b) => a.AgentId.CompareTo(b.AgentId));
        return loads;
    }

    private QueueUpdate Update(QueueUpdateKind kind, TicketEvent ticketEvent, Guid? agent) => new()
    {
        Kind = kind,
        QueueId = queueId,
        TicketId = ticketEvent.TicketId,
        AgentId = agent,
        ActorId = ticketEvent.ActorId,
        OccurredAt = ticketEvent.CreatedAt,
        EventId = ticketEvent.Id,
    };
}

/// <summary>Reads <c>changes = {field: [old, new]}</c>.</summary>
internal static class TicketEventChanges
{
    public static bool TryGet(TicketEvent ticketEvent, string field, out JsonElement before, out JsonElement after)
    {
        if (ticketEvent.Changes.TryGetValue(field, out var change))
        {
            (before, after) = (change.Old, change.New);
            return true;
        }

        before = after = default;
        return false;
    }

    public static Guid? AsGuid(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.TryGetGuid(out var id) ? id : null;

    public static TicketStatus? AsStatus(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return value.Deserialize(CrmJsonContext.Default.TicketStatus);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary><c>sla_breached</c> events (internal: staff who see the ticket) as <see cref="SlaBreach"/>es, optionally limited
/// to one queue.</summary>
internal sealed class SlaBreachProjection(Guid? queueId, ITicketEventReader reader) : ITicketEventProjection<SlaBreach>
{
    private readonly QueueMembership _membership = new(reader);

    public IReadOnlyList<string> Kinds { get; } = queueId is null ? ["sla_breached"] : ["created", "sla_breached", "queue_changed"];

    public async ValueTask ProjectAsync(TicketEvent ticketEvent, List<SlaBreach> output, CancellationToken cancellationToken)
    {
        _membership.Observe(ticketEvent);
        if (ticketEvent.Kind != TicketEventKind.SlaBreached
            || !TicketEventChanges.TryGet(ticketEvent, "metric", out _, out var metric) || metric.ValueKind != JsonValueKind.String)
        {
            return;
        }

        if (queueId is not null && await _membership.QueueOfAsync(ticketEvent.TicketId, cancellationToken).ConfigureAwait(false) != queueId)
        {
            return;
        }

        output.Add(new SlaBreach
        {
            TicketId = ticketEvent.TicketId,
            Metric = metric.GetString()!,
            DueAt = TicketEventChanges.TryGet(ticketEvent, "due_at", out _, out var due) && due.ValueKind == JsonValueKind.String
                && due.TryGetDateTimeOffset(out var dueAt) ? dueAt : default,
            RecordedAt = ticketEvent.CreatedAt,
            EventId = ticketEvent.Id,
        });
    }
}
