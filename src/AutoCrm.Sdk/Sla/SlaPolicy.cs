using AutoCrm.Sdk.Automation;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Sla;

/// <summary>An SLA policy (<c>public.sla_policies</c>): the first active policy, by position, whose conditions hold sets
/// a ticket's targets when a clock starts.</summary>
public sealed record SlaPolicy
{
    /// <summary>The id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The name.</summary>
    public required string Name { get; init; }

    /// <summary>The order policies are tried in (ascending; ties by id).</summary>
    public int Position { get; init; }

    /// <summary>Whether it applies to new clocks.</summary>
    public bool Active { get; init; }

    /// <summary>Which tickets it applies to (the automation vocabulary on ticket fields); none: every ticket.</summary>
    public TicketConditions Conditions { get; init; } = TicketConditions.None;

    /// <summary>Minutes per metric, keyed by priority spelling (<c>low</c>, <c>normal</c>, <c>high</c>, <c>urgent</c>);
    /// a priority left out has no targets. <see cref="TargetsFor"/> reads it by <see cref="TicketPriority"/>.</summary>
    public IReadOnlyDictionary<string, SlaTargets> Targets { get; init; } = new Dictionary<string, SlaTargets>();

    /// <summary>The calendar the minutes are counted in; <see langword="null"/>: calendar time.</summary>
    public Guid? BusinessHoursId { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The targets for a priority, or <see langword="null"/> when the policy has none for it.</summary>
    /// <param name="priority">The ticket priority.</param>
    /// <returns>The targets.</returns>
    public SlaTargets? TargetsFor(TicketPriority priority) =>
        Targets.TryGetValue(EnumText.Get(priority), out var targets) ? targets : null;
}

/// <summary>Targets in whole minutes (1 to 525,600); a metric left <see langword="null"/> has no target.</summary>
public sealed record SlaTargets
{
    /// <summary>Minutes to the first public reply of an agent.</summary>
    public int? FirstReply { get; init; }

    /// <summary>Minutes from a customer's message to the next agent reply.</summary>
    public int? NextReply { get; init; }

    /// <summary>Minutes to solving the ticket.</summary>
    public int? Resolution { get; init; }
}

/// <summary>A policy to create (admins). See <see cref="SlaClient.CreatePolicyAsync"/>.</summary>
/// <example>
/// <code>
/// await crm.Sla.CreatePolicyAsync(new NewSlaPolicy
/// {
///     Name = "Enterprise", Position = 10,
///     Conditions = TicketConditions.AllOf(ConditionField.Metadata("plan").Is("enterprise")),
///     Targets = new Dictionary&lt;string, SlaTargets&gt; { ["urgent"] = new() { FirstReply = 15, Resolution = 240 } },
///     BusinessHoursId = calendar.Id,
/// });
/// </code>
/// </example>
public sealed record NewSlaPolicy
{
    /// <summary>The name (1 to 100 characters).</summary>
    public required string Name { get; init; }

    /// <summary>Minutes per metric, keyed by priority spelling.</summary>
    public required IReadOnlyDictionary<string, SlaTargets> Targets { get; init; }

    /// <summary>Which tickets it applies to; none: every ticket.</summary>
    public TicketConditions Conditions { get; init; } = TicketConditions.None;

    /// <summary>The order; <see langword="null"/> for the default (0).</summary>
    public int? Position { get; init; }

    /// <summary>Whether it applies (default <see langword="true"/>).</summary>
    public bool Active { get; init; } = true;

    /// <summary>The calendar; <see langword="null"/>: calendar time.</summary>
    public Guid? BusinessHoursId { get; init; }
}

/// <summary>A change to a policy: the properties left out keep their value. Running clocks keep the targets they started
/// with.</summary>
public sealed record SlaPolicyPatch
{
    private readonly Guid? _businessHoursId;
    private readonly bool _businessHoursSet;

    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>A new position.</summary>
    public int? Position { get; init; }

    /// <summary>Enables or disables it.</summary>
    public bool? Active { get; init; }

    /// <summary>New conditions.</summary>
    public TicketConditions? Conditions { get; init; }

    /// <summary>New targets (replacing all of them).</summary>
    public IReadOnlyDictionary<string, SlaTargets>? Targets { get; init; }

    /// <summary>A new calendar; set to <see langword="null"/>, the policy counts in calendar time from now on (left out:
    /// the calendar is kept).</summary>
    public Guid? BusinessHoursId { get => _businessHoursId; init { _businessHoursId = value; _businessHoursSet = true; } }

    /// <summary>Whether <see cref="BusinessHoursId"/> was set to <see langword="null"/> (sent as a JSON null).</summary>
    internal bool ClearsBusinessHours => _businessHoursSet && _businessHoursId is null;
}

/// <summary>One SLA clock of a ticket (<c>public.ticket_slas</c>, staff only), written by the database.</summary>
public sealed record TicketSlaClock
{
    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary><c>first_reply</c>, <c>next_reply</c> or <c>resolution</c>.</summary>
    public required string Metric { get; init; }

    /// <summary>The policy it started with (null once deleted).</summary>
    public Guid? PolicyId { get; init; }

    /// <summary>The calendar it counts in; null: calendar time.</summary>
    public Guid? BusinessHoursId { get; init; }

    /// <summary>The target it started with.</summary>
    public int TargetMinutes { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it is due, while it runs (null while paused or done).</summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>Since when it is paused (pending, on hold, solved, closed).</summary>
    public DateTimeOffset? PausedAt { get; init; }

    /// <summary>The business minutes it had left when it paused.</summary>
    public decimal? RemainingMinutes { get; init; }

    /// <summary>When it was met.</summary>
    public DateTimeOffset? FulfilledAt { get; init; }

    /// <summary>When it was found missed.</summary>
    public DateTimeOffset? BreachedAt { get; init; }
}
