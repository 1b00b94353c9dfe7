using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Queues;

/// <summary>
/// Queues and the work in them: list and statistics, claim the next ticket, release, assign, transfer, and (for admins)
/// queues and members. Get it from <see cref="CrmClient.Queues"/>.
/// </summary>
public class QueuesClient
{
    private readonly RestClient _rest = null!;
    private readonly TicketsClient _tickets = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected QueuesClient()
    {
    }

    internal QueuesClient(RestClient rest, TicketsClient tickets)
    {
        _rest = rest;
        _tickets = tickets;
    }

    /// <summary>Lists the queues, by name, counted.</summary>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (<see cref="CrmPage{T}.TotalCount"/> is exact).</returns>
    public virtual CrmPageable<Queue> ListAsync(CancellationToken cancellationToken = default) =>
        new RestListing<Queue>(
            _rest.From("queues"),
            new KeysetOrder("name", "id", Descending: false),
            TicketsClient.ShortListPageSize,
            CrmJsonContext.Default.Queue,
            static q => (q.Name, q.Id.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Reads a queue by its slug.</summary>
    /// <param name="slug">The slug, e.g. <c>billing</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The queue.</returns>
    /// <exception cref="CrmNotFoundException">No such queue.</exception>
    public virtual async Task<Queue> GetBySlugAsync(string slug, CancellationToken cancellationToken = default)
    {
        Guard.NotBlank(slug, "slug");
        using var activity = CrmTelemetry.StartCall("Queues.GetBySlug");
        try
        {
            return await GetBySlugCoreAsync(slug, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Counts per visible queue (<c>queue_stats()</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One row per queue.</returns>
    public virtual async Task<IReadOnlyList<QueueStats>> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Queues.GetStats");
        try
        {
            return await _rest.Rpc("queue_stats").AsIdempotent().ToListAsync(CrmJsonContext.Default.QueueStats, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>
    /// Claims the next ticket for the signed-in agent (<c>claim_next_ticket</c>): urgent first, then oldest, only from the
    /// agent's queues; concurrent agents never get the same ticket. Not retried automatically (a repeat could claim a second ticket).
    /// </summary>
    /// <param name="queueId">Only from this queue; <see langword="null"/> for any of the agent's queues.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The claimed ticket, now assigned to the caller; <see langword="null"/> when there is nothing to claim.</returns>
    public virtual async Task<Ticket?> ClaimNextAsync(Guid? queueId = null, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Queues.ClaimNext");
        try
        {
            var arguments = new JsonObject();
            if (queueId is { } queue)
            {
                arguments["queue_id"] = queue;
            }

            var result = await _rest.Rpc("claim_next_ticket", arguments).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            return TicketFrom(result);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Gives a claimed ticket back to its queue, unassigned (<c>release_ticket</c>).</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket after the change.</returns>
    public virtual async Task<Ticket> ReleaseAsync(Guid ticketId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Queues.Release");
        try
        {
            return await CallTicketFunctionAsync("release_ticket", ticketId, new JsonObject { ["ticket_id"] = ticketId }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Assigns a ticket to an agent (<c>assign_ticket</c>). Retried safely (the same assignment twice is one).</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="agentId">The agent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket after the change.</returns>
    public virtual async Task<Ticket> AssignAsync(Guid ticketId, Guid agentId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Queues.Assign");
        try
        {
            return await CallTicketFunctionAsync(
                "assign_ticket", ticketId, new JsonObject { ["ticket_id"] = ticketId, ["agent_id"] = agentId }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Moves a ticket to another queue (<c>transfer_ticket</c>). Retried safely.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="queueId">The target queue.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket after the change.</returns>
    public virtual async Task<Ticket> TransferAsync(Guid ticketId, Guid queueId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Queues.Transfer");
        try
        {
            return await CallTicketFunctionAsync(
                "transfer_ticket", ticketId, new JsonObject { ["ticket_id"] = ticketId, ["queue_id"] = queueId }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Creates a queue (admins).</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The queue as stored.</returns>
    /// <exception cref="CrmConflictException">The slug is taken.</exception>
    public virtual async Task<Queue> CreateAsync(NewQueue queue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        using var activity = CrmTelemetry.StartCall("Queues.Create");
        try
        {
            return await _rest.From("queues")
                .Insert(new QueueInsertRow(queue.Slug, queue.Name, queue.Description), CrmJsonContext.Default.QueueInsertRow)
                .SingleAsync(CrmJsonContext.Default.Queue, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Deletes a queue (admins); its tickets stay, without a queue.</summary>
    /// <param name="queueId">The queue.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the queue is gone.</returns>
    public virtual async Task DeleteAsync(Guid queueId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Queues.Delete");
        try
        {
            await _rest.From("queues").Eq("id", queueId).Delete().AsIdempotent().ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Lists the members of a queue (agents and admins may read memberships), oldest first, counted.</summary>
    /// <param name="queueId">The queue.</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (<see cref="CrmPage{T}.TotalCount"/> is exact).</returns>
    public virtual CrmPageable<QueueMember> ListMembersAsync(Guid queueId, CancellationToken cancellationToken = default) =>
        new RestListing<QueueMember>(
            _rest.From("queue_members").Eq("queue_id", queueId),
            new KeysetOrder("created_at", "agent_id", Descending: false),
            TicketsClient.ShortListPageSize,
            CrmJsonContext.Default.QueueMember,
            static m => (RestText.FormatTimestamp(m.CreatedAt), m.AgentId.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Makes an agent a member of a queue (admins). Adding an existing member is a no-op.</summary>
    /// <param name="queueId">The queue.</param>
    /// <param name="agentId">The agent (a user whose role is agent or admin).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the agent is a member.</returns>
    public virtual async Task AddMemberAsync(Guid queueId, Guid agentId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Queues.AddMember");
        try
        {
            await _rest.From("queue_members")
                .Upsert(new QueueMemberRow(queueId, agentId), CrmJsonContext.Default.QueueMemberRow, onConflict: "queue_id,agent_id", ignoreDuplicates: true)
                .AsIdempotent()
                .ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Removes an agent from a queue (admins).</summary>
    /// <param name="queueId">The queue.</param>
    /// <param name="agentId">The agent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the agent is no longer a member.</returns>
    public virtual async Task RemoveMemberAsync(Guid queueId, Guid agentId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Queues.RemoveMember");
        try
        {
            await _rest.From("queue_members").Eq("queue_id", queueId).Eq("agent_id", agentId).Delete().AsIdempotent()
                .ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    private async Task<Queue> GetBySlugCoreAsync(string slug, CancellationToken cancellationToken)
    {
        try
        {
            return await _rest.From("queues").Eq("slug", slug).SingleAsync(CrmJsonContext.Default.Queue, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmNotFoundException ex)
        {
            throw CrmErrors.NotFound($"Queue '{slug}'", ex);
        }
    }

    private async Task<Ticket> CallTicketFunctionAsync(string function, Guid ticketId, JsonObject arguments, CancellationToken cancellationToken)
    {
        var result = await _rest.Rpc(function, arguments).AsIdempotent().ToJsonAsync(cancellationToken).ConfigureAwait(false);
        return TicketFrom(result) ?? await _tickets.GetCoreAsync("id", ticketId, TicketInclude.None, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A function returning a ticket answers with an object, a one-row array, null, or a row of nulls.</summary>
    private static Ticket? TicketFrom(JsonElement result)
    {
        var row = result.ValueKind switch
        {
            JsonValueKind.Array when result.GetArrayLength() > 0 => result[0],
            JsonValueKind.Object => result,
            _ => default,
        };
        if (row.ValueKind != JsonValueKind.Object || !row.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        return row.Deserialize(CrmJsonContext.Default.Ticket);
    }
}
