using System.Text.Json.Serialization;
using AutoCrm.Sdk.Internal;

namespace AutoCrm.Sdk.Sla;

/// <summary>A business-hours calendar (<c>public.business_hours</c>): the opening hours SLA targets are counted in.</summary>
public sealed record BusinessCalendar
{
    /// <summary>The id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The name (unique, ignoring case).</summary>
    public required string Name { get; init; }

    /// <summary>The IANA time zone the intervals and holidays are read in, e.g. <c>Europe/Berlin</c>.</summary>
    public required string TimeZone { get; init; }

    /// <summary>The weekly opening hours, in local wall-clock time.</summary>
    public IReadOnlyList<BusinessInterval> Intervals { get; init; } = [];

    /// <summary>Local dates on which the calendar is closed all day, sorted.</summary>
    public IReadOnlyList<DateOnly> Holidays { get; init; } = [];

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One opening interval of a weekday, in local wall-clock time. It ends on its own day: opening hours across
/// midnight are two intervals.</summary>
/// <example><code>new BusinessInterval { Day = BusinessDay.Monday, Start = "09:00", End = "17:30" }</code></example>
public sealed record BusinessInterval
{
    /// <summary>The weekday.</summary>
    public required BusinessDay Day { get; init; }

    /// <summary><c>HH:MM</c>, from <c>00:00</c> to <c>23:59</c>.</summary>
    public required string Start { get; init; }

    /// <summary><c>HH:MM</c> after <see cref="Start"/>, up to <c>24:00</c>.</summary>
    public required string End { get; init; }
}

/// <summary>A weekday of a <see cref="BusinessInterval"/>.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<BusinessDay>))]
public enum BusinessDay
{
    /// <summary><c>monday</c>.</summary>
    Monday,

    /// <summary><c>tuesday</c>.</summary>
    Tuesday,

    /// <summary><c>wednesday</c>.</summary>
    Wednesday,

    /// <summary><c>thursday</c>.</summary>
    Thursday,

    /// <summary><c>friday</c>.</summary>
    Friday,

    /// <summary><c>saturday</c>.</summary>
    Saturday,

    /// <summary><c>sunday</c>.</summary>
    Sunday,
}

/// <summary>A calendar to create (admins). See <see cref="SlaClient.CreateCalendarAsync"/>.</summary>
public sealed record NewBusinessCalendar
{
    /// <summary>The name (1 to 100 characters, unique ignoring case).</summary>
    public required string Name { get; init; }

    /// <summary>An IANA time zone name.</summary>
    public required string TimeZone { get; init; }

    /// <summary>1 to 70 intervals; intervals of one day must not overlap.</summary>
    public required IReadOnlyList<BusinessInterval> Intervals { get; init; }

    /// <summary>Closed dates (up to 1,000).</summary>
    public IReadOnlyList<DateOnly>? Holidays { get; init; }
}

/// <summary>A change to a calendar: the properties left <see langword="null"/> keep their value.</summary>
public sealed record BusinessCalendarPatch
{
    /// <summary>A new name.</summary>
    public string? Name { get; init; }

    /// <summary>A new time zone.</summary>
    public string? TimeZone { get; init; }

    /// <summary>New intervals (replacing all of them).</summary>
    public IReadOnlyList<BusinessInterval>? Intervals { get; init; }

    /// <summary>New holidays (replacing all of them).</summary>
    public IReadOnlyList<DateOnly>? Holidays { get; init; }
}
