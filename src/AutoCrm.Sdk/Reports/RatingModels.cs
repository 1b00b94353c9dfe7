using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Reports;

/// <summary>The scale ratings are given on (<c>report_settings.csat_scale</c>).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<CsatScale>))]
public enum CsatScale
{
    /// <summary><c>good_bad</c>: good or bad.</summary>
    GoodBad,

    /// <summary><c>five_point</c>: 1 to 5; 4 and 5 are satisfied.</summary>
    FivePoint,
}

/// <summary>A rating to give: <see cref="Good"/>, <see cref="Bad"/> or <see cref="Points(int)"/> 1–5, matching the scale the
/// admins chose (<see cref="ReportSettings.CsatScale"/>).</summary>
public readonly struct CsatScore : IEquatable<CsatScore>
{
    private readonly string? _value;

    private CsatScore(string value) => _value = value;

    /// <summary>Good (the good/bad scale).</summary>
    public static CsatScore Good { get; } = new("good");

    /// <summary>Bad (the good/bad scale).</summary>
    public static CsatScore Bad { get; } = new("bad");

    /// <summary>What the database receives: <c>good</c>, <c>bad</c> or <c>1</c>–<c>5</c> (empty for <c>default</c>).</summary>
    public string Value => _value ?? "";

    /// <summary>A score of the five-point scale.</summary>
    /// <param name="points">1 to 5.</param>
    /// <returns>The score.</returns>
    /// <exception cref="CrmValidationException">Not 1 to 5 (field <c>rating</c>).</exception>
    public static CsatScore Points(int points) => points is >= 1 and <= 5
        ? new CsatScore(points.ToString(System.Globalization.CultureInfo.InvariantCulture))
        : throw CrmErrors.Invalid("rating", $"field \"rating\": \"{points}\" is not one of 1, 2, 3, 4, 5");

    /// <summary>Whether two scores are the same.</summary>
    /// <param name="left">One score.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(CsatScore left, CsatScore right) => left.Equals(right);

    /// <summary>Whether two scores differ.</summary>
    /// <param name="left">One score.</param>
    /// <param name="right">The other.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(CsatScore left, CsatScore right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(CsatScore other) => string.Equals(Value, other.Value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CsatScore other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Value);

    /// <summary>The database spelling.</summary>
    /// <returns><see cref="Value"/>.</returns>
    public override string ToString() => Value;
}

/// <summary>A requester's rating of one solve of a ticket (<c>public.ticket_ratings</c>).</summary>
public sealed record TicketRating
{
    /// <summary>The ticket.</summary>
    public required Guid TicketId { get; init; }

    /// <summary>Which solve it rates (1 = the first).</summary>
    public required int Resolution { get; init; }

    /// <summary>Who rated (the requester).</summary>
    public required Guid RequesterId { get; init; }

    /// <summary>The scale it was given on.</summary>
    public required CsatScale Scale { get; init; }

    /// <summary>1 good / 0 bad, or 1–5.</summary>
    public required int Score { get; init; }

    /// <summary>Good, or 4–5 of 5.</summary>
    public required bool Satisfied { get; init; }

    /// <summary>The requester's comment.</summary>
    public string? Comment { get; init; }

    /// <summary>When the rated solve happened.</summary>
    public required DateTimeOffset SolvedAt { get; init; }

    /// <summary>The ticket's queue at the solve.</summary>
    public Guid? QueueId { get; init; }

    /// <summary>The assignee at the solve.</summary>
    public Guid? AgentId { get; init; }

    /// <summary>The ticket's priority at the solve.</summary>
    public required TicketPriority Priority { get; init; }

    /// <summary>The ticket's <c>metadata.channel</c> at the solve.</summary>
    public string? Channel { get; init; }

    /// <summary>When it was first given (it can be changed for 7 days after).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The report settings (<c>public.report_settings</c>): every signed-in user reads them; admins change them.</summary>
public sealed record ReportSettings
{
    /// <summary>The scale new ratings use.</summary>
    public required CsatScale CsatScale { get; init; }

    /// <summary>The calendar business minutes are counted in for tickets whose SLA clocks have none.</summary>
    public Guid? BusinessHoursId { get; init; }

    /// <summary>Last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
