using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;
using Microsoft.Extensions.Logging;

namespace AutoCrm.Sdk.Agents;

/// <summary>
/// Routing (docs/routing.md): agents' availability, load, capacity and skills, the skills a ticket needs, queues'
/// routing modes and the default capacity. Agents set their own status and read everyone's state; admins set capacity,
/// skills, queue routing and defaults (<see cref="CrmForbiddenException"/> for anyone else). Refused values are
/// <see cref="CrmValidationException"/>s naming the field (<c>capacity</c>, <c>skills</c>, <c>required_skills</c>,
/// <c>default_capacity</c>). Get it from <see cref="CrmClient.Agents"/>.
/// </summary>
public class AgentsClient
{
    private const int PageSize = 100;
    private const int MaxCapacity = 1000;
    private readonly RestClient _rest = null!;
    private readonly TimeProvider _timeProvider = null!;
    private readonly ILogger _logger = null!;

    /// <summary>For fakes in tests: a subclass overrides the members it needs (see docs/testing.md).</summary>
    protected AgentsClient()
    {
    }

    internal AgentsClient(RestClient rest, TimeProvider timeProvider, ILogger logger)
    {
        _rest = rest;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Reads the signed-in agent's own state. An agent who never set a status reads as
    /// <see cref="AgentStatus.Offline"/> with no overrides and no open tickets.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The state.</returns>
    /// <exception cref="CrmAuthException">No user is signed in (code <c>session_missing</c>).</exception>
    public virtual async Task<AgentState> GetMyStateAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.GetMyState");
        try
        {
            var me = await CurrentUserIdAsync(cancellationToken).ConfigureAwait(false);
            return await _rest.From("agent_states").Eq("agent_id", me).MaybeSingleAsync(CrmJsonContext.Default.AgentState, cancellationToken).ConfigureAwait(false)
                ?? new AgentState { AgentId = me };
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets the signed-in agent's availability (<c>set_agent_status</c>). Coming online takes waiting tickets of
    /// the agent's automatic queues up to capacity, in the same transaction. Retried safely.</summary>
    /// <param name="status">The new status.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The agent's state after the change (with any tickets just assigned counted).</returns>
    /// <exception cref="CrmForbiddenException">The caller is not an agent or admin.</exception>
    /// <example><code>await crm.Agents.SetStatusAsync(AgentStatus.Away);</code></example>
    public virtual async Task<AgentState> SetStatusAsync(AgentStatus status, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.SetStatus");
        try
        {
            return await CallAsync("set_agent_status", new JsonObject { ["status"] = EnumText.Get(status) }, CrmJsonContext.Default.AgentState, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets another agent's availability (admins and the service role; a host sets <see cref="AgentStatus.Offline"/>
    /// when an agent signs out). Retried safely.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="status">The new status.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The agent's state after the change.</returns>
    /// <exception cref="CrmForbiddenException">An agent setting someone else's status, or a customer.</exception>
    /// <exception cref="CrmNotFoundException">No such agent.</exception>
    public virtual async Task<AgentState> SetStatusAsync(Guid agentId, AgentStatus status, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.SetStatus");
        try
        {
            Guard.NotEmpty(agentId, "agent_id");
            return await CallAsync("set_agent_status", new JsonObject { ["status"] = EnumText.Get(status), ["agent_id"] = agentId }, CrmJsonContext.Default.AgentState, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Lists the agents' states (staff; empty for customers), by agent id, optionally of one status. Agents
    /// appear once they joined a queue or had a status, capacity or skill set.</summary>
    /// <param name="status">Only agents with this status.</param>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing (<see cref="CrmPage{T}.TotalCount"/> is exact).</returns>
    /// <example><code>await foreach (var a in crm.Agents.ListAsync(AgentStatus.Online)) Console.WriteLine($"{a.AgentId}: {a.OpenTickets}");</code></example>
    public virtual CrmPageable<AgentState> ListAsync(AgentStatus? status = null, CancellationToken cancellationToken = default)
    {
        var query = _rest.From("agent_states");
        if (status is { } s)
        {
            query = query.Eq("status", EnumText.Get(s));
        }

        return new RestListing<AgentState>(
            query,
            new KeysetOrder(null, "agent_id", Descending: false),
            PageSize,
            CrmJsonContext.Default.AgentState,
            static a => (null, a.AgentId.ToString("D")),
            RestCount.Exact,
            cancellationToken);
    }

    /// <summary>Reads one agent's state (staff).</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The state.</returns>
    /// <exception cref="CrmNotFoundException">The agent has no routing state yet, or the caller is not staff.</exception>
    public virtual async Task<AgentState> GetAsync(Guid agentId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.Get");
        try
        {
            return await _rest.From("agent_states").Eq("agent_id", agentId).MaybeSingleAsync(CrmJsonContext.Default.AgentState, cancellationToken).ConfigureAwait(false)
                ?? throw CrmErrors.NotFound($"Agent state {agentId}");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets an agent's own capacity (admins): the most open tickets they hold, winning over the queue's and the
    /// default. Raising it gives them waiting tickets at once. Retried safely.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="capacity">0 to 1000, or <see langword="null"/> to inherit the queue's or the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The agent's state after the change.</returns>
    /// <exception cref="CrmValidationException">Out of range (field <c>capacity</c>).</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    /// <exception cref="CrmNotFoundException">No such agent.</exception>
    public virtual async Task<AgentState> SetCapacityAsync(Guid agentId, int? capacity, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.SetCapacity");
        try
        {
            Guard.NotEmpty(agentId, "agent_id");
            CheckCapacity(capacity, "capacity");
            return await CallAsync("set_agent_capacity", new JsonObject { ["agent_id"] = agentId, ["capacity"] = capacity }, CrmJsonContext.Default.AgentState, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets an agent's skills (admins; the whole list, stored sorted and without duplicates). A new skill gives
    /// them waiting tickets that need it at once. Retried safely.</summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="skills">Lowercase words (letters, digits, <c>_</c>, <c>-</c>; up to 40 characters), at most 50.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The agent's state after the change.</returns>
    /// <exception cref="CrmValidationException">A skill name is refused (field <c>skills</c>).</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    /// <exception cref="CrmNotFoundException">No such agent.</exception>
    /// <example><code>await crm.Agents.SetSkillsAsync(agentId, ["billing", "german"]);</code></example>
    public virtual async Task<AgentState> SetSkillsAsync(Guid agentId, IReadOnlyList<string> skills, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(skills);
        using var activity = CrmTelemetry.StartCall("Agents.SetSkills");
        try
        {
            Guard.NotEmpty(agentId, "agent_id");
            return await CallAsync("set_agent_skills", new JsonObject { ["agent_id"] = agentId, ["skills"] = SkillsJson(skills) }, CrmJsonContext.Default.AgentState, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Reads the skills a ticket needs (staff who can see the ticket).</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The skills.</returns>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not see it.</exception>
    public virtual async Task<TicketSkills> GetTicketSkillsAsync(Guid ticketId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.GetTicketSkills");
        try
        {
            return await _rest.From("tickets").Select("ticket_id:id,required_skills").Eq("id", ticketId)
                .MaybeSingleAsync(CrmJsonContext.Default.TicketSkills, cancellationToken).ConfigureAwait(false)
                ?? throw CrmErrors.NotFound($"Ticket {ticketId}");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets the skills a ticket needs (agents and admins; the whole list). In an automatic queue a waiting ticket
    /// is routed again, and an assignee who lacks a new skill loses it to one who has it. Retried safely.</summary>
    /// <param name="ticketId">The ticket.</param>
    /// <param name="skills">The skills (empty: any agent).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The skills as stored.</returns>
    /// <exception cref="CrmValidationException">A skill name is refused (field <c>required_skills</c>).</exception>
    /// <exception cref="CrmForbiddenException">A customer.</exception>
    /// <exception cref="CrmNotFoundException">No such ticket, or the caller may not change it.</exception>
    public virtual async Task<TicketSkills> SetTicketSkillsAsync(Guid ticketId, IReadOnlyList<string> skills, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(skills);
        using var activity = CrmTelemetry.StartCall("Agents.SetTicketSkills");
        try
        {
            Guard.NotEmpty(ticketId, "ticket_id");
            var rows = await _rest.From("tickets").Eq("id", ticketId).Select("ticket_id:id,required_skills").AsIdempotent()
                .Update(new JsonObject { ["required_skills"] = SkillsJson(skills) })
                .ToListAsync(CrmJsonContext.Default.TicketSkills, cancellationToken).ConfigureAwait(false);
            return rows.Count > 0 ? rows[0] : throw CrmErrors.NotFound($"Ticket {ticketId}");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Lists the queues that have routing settings (staff), by queue id. A queue not listed is
    /// <see cref="RoutingMode.Manual"/> with no capacity of its own.</summary>
    /// <param name="cancellationToken">Cancels every page request.</param>
    /// <returns>The listing.</returns>
    public virtual CrmPageable<QueueRouting> ListQueueRoutingAsync(CancellationToken cancellationToken = default) =>
        new RestListing<QueueRouting>(
            _rest.From("queue_routing"),
            new KeysetOrder(null, "queue_id", Descending: false),
            PageSize,
            CrmJsonContext.Default.QueueRouting,
            static r => (null, r.QueueId.ToString("D")),
            RestCount.Exact,
            cancellationToken);

    /// <summary>Reads a queue's routing settings (staff). A queue without settings reads as <see cref="RoutingMode.Manual"/>
    /// with no capacity.</summary>
    /// <param name="queueId">The queue.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The settings.</returns>
    public virtual async Task<QueueRouting> GetQueueRoutingAsync(Guid queueId, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.GetQueueRouting");
        try
        {
            return await _rest.From("queue_routing").Eq("queue_id", queueId).MaybeSingleAsync(CrmJsonContext.Default.QueueRouting, cancellationToken).ConfigureAwait(false)
                ?? new QueueRouting { QueueId = queueId };
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets a queue's routing mode and capacity (admins). Becoming automatic, or a higher capacity, places the
    /// queue's waiting tickets at once. Retried safely.</summary>
    /// <param name="queueId">The queue.</param>
    /// <param name="mode">The mode.</param>
    /// <param name="capacity">The agents' capacity for this queue's tickets (0 to 1000), or <see langword="null"/> to
    /// inherit the default. An agent's own capacity wins over it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The settings as stored.</returns>
    /// <exception cref="CrmValidationException">Capacity out of range (field <c>capacity</c>).</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    /// <exception cref="CrmNotFoundException">No such queue.</exception>
    /// <example><code>await crm.Agents.SetQueueRoutingAsync(queue.Id, RoutingMode.LeastLoaded, capacity: 5);</code></example>
    public virtual async Task<QueueRouting> SetQueueRoutingAsync(Guid queueId, RoutingMode mode, int? capacity = null, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.SetQueueRouting");
        try
        {
            Guard.NotEmpty(queueId, "queue_id");
            CheckCapacity(capacity, "capacity");
            return await CallAsync("set_queue_routing", new JsonObject { ["queue_id"] = queueId, ["mode"] = EnumText.Get(mode), ["capacity"] = capacity },
                CrmJsonContext.Default.QueueRouting, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Reads the routing defaults (staff).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The defaults.</returns>
    /// <exception cref="CrmNotFoundException">The caller is not staff.</exception>
    public virtual async Task<RoutingDefaults> GetDefaultsAsync(CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.GetDefaults");
        try
        {
            return await _rest.From("routing_settings").MaybeSingleAsync(CrmJsonContext.Default.RoutingDefaults, cancellationToken).ConfigureAwait(false)
                ?? throw CrmErrors.NotFound("Routing defaults");
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>Sets the default capacity (admins): open tickets per agent where neither the agent nor the queue sets
    /// one. Every automatic queue's waiting tickets are placed again. Retried safely.</summary>
    /// <param name="defaultCapacity">0 to 1000, or <see langword="null"/> for no limit.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The defaults as stored.</returns>
    /// <exception cref="CrmValidationException">Out of range (field <c>default_capacity</c>).</exception>
    /// <exception cref="CrmForbiddenException">The caller is not an admin.</exception>
    public virtual async Task<RoutingDefaults> SetDefaultCapacityAsync(int? defaultCapacity, CancellationToken cancellationToken = default)
    {
        using var activity = CrmTelemetry.StartCall("Agents.SetDefaultCapacity");
        try
        {
            CheckCapacity(defaultCapacity, "default_capacity");
            return await CallAsync("set_routing_defaults", new JsonObject { ["default_capacity"] = defaultCapacity }, CrmJsonContext.Default.RoutingDefaults, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CrmTelemetry.Failed(activity, ex))
        {
            throw;
        }
    }

    /// <summary>
    /// Sets the signed-in agent <see cref="AgentStatus.Online"/> and starts their presence: after
    /// <see cref="AgentPresenceOptions.IdleTimeout"/> without activity the presence marks them
    /// <see cref="AgentStatus.Away"/>, and the next activity brings them back online. Activity is what the app reports
    /// with <see cref="AgentPresence.ReportActivityAsync"/> (the SDK cannot tell a person's input from background calls).
    /// Time is the client's <see cref="CrmClientOptions.TimeProvider"/>. Dispose the presence to stop it (the status
    /// stays as it is; hosts set <see cref="AgentStatus.Offline"/> on sign-out).
    /// </summary>
    /// <param name="options">The idle timeout; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the first status change.</param>
    /// <returns>The running presence.</returns>
    /// <exception cref="CrmValidationException">The idle timeout is out of range (field <c>idle_timeout</c>).</exception>
    /// <example>
    /// <code>
    /// await using var presence = await crm.Agents.StartPresenceAsync(new AgentPresenceOptions { IdleTimeout = TimeSpan.FromMinutes(5) });
    /// // on every keystroke or click:
    /// await presence.ReportActivityAsync();
    /// </code>
    /// </example>
    public virtual async Task<AgentPresence> StartPresenceAsync(AgentPresenceOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new AgentPresenceOptions();
        if (options.IdleTimeout < TimeSpan.FromSeconds(1) || options.IdleTimeout > TimeSpan.FromDays(1))
        {
            throw CrmErrors.Invalid("idle_timeout", $"idle_timeout must be from 1 second to 1 day, not {options.IdleTimeout}.");
        }

        await SetStatusAsync(AgentStatus.Online, cancellationToken).ConfigureAwait(false);
        return new AgentPresence(this, options.IdleTimeout, _timeProvider, _logger);
    }

    private async Task<T> CallAsync<T>(string function, JsonObject arguments, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var result = await _rest.Rpc(function, arguments).AsIdempotent().ToJsonAsync(cancellationToken).ConfigureAwait(false);
        var row = result.ValueKind == JsonValueKind.Array && result.GetArrayLength() > 0 ? result[0] : result;
        try
        {
            return row.Deserialize(type) ?? throw new JsonException("The answer was null.");
        }
        catch (JsonException ex)
        {
            throw CrmErrors.InvalidResponse(function, ex);
        }
    }

    private async Task<Guid> CurrentUserIdAsync(CancellationToken cancellationToken) =>
        JwtClaims.TryGetSubject(await _rest.Tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false)) ?? throw CrmErrors.NotSignedIn();

    private static void CheckCapacity(int? capacity, string field)
    {
        if (capacity is { } c)
        {
            Guard.InRange(c, 0, MaxCapacity, field);
        }
    }

    private static JsonArray SkillsJson(IReadOnlyList<string> skills)
    {
        var array = new JsonArray();
        foreach (var skill in skills)
        {
            array.Add((JsonNode?)JsonValue.Create(skill));
        }

        return array;
    }
}
