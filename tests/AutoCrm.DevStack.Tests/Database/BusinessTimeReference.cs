using NodaTime;
using NodaTime.TimeZones;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>One weekly opening interval: local minutes [From, To) of a weekday (To = 1440 is 24:00).</summary>
public sealed record OpeningInterval(IsoDayOfWeek Day, int From, int To);

/// <summary>A business-hours calendar as the property tests generate it.</summary>
public sealed record TestCalendar(string Zone, IReadOnlyList<OpeningInterval> Intervals, IReadOnlyList<LocalDate> Holidays);

/// <summary>
/// The reference for the SQL business-time functions, written independently on NodaTime: business time is the union
/// of the calendar's opening intervals as instants (sorted and merged here, walked with a cursor in SQL). A wall-clock
/// time becomes an instant by the rule docs/sla.md states, PostgreSQL's: a skipped time takes the offset before the
/// change (shifted forward by the gap), a repeated time its later occurrence.
/// </summary>
public static class BusinessTimeReference
{
    private static readonly ZoneLocalMappingResolver Resolver =
        Resolvers.CreateMappingResolver(Resolvers.ReturnLater, Resolvers.ReturnForwardShifted);

    /// <summary>The instant at which <paramref name="micros"/> microseconds of business time have passed since <paramref name="from"/>.</summary>
    public static Instant Add(TestCalendar calendar, Instant from, long micros)
    {
        if (micros == 0)
        {
            return from;
        }

        var zone = DateTimeZoneProviders.Tzdb[calendar.Zone];
        var remaining = Duration.FromNanoseconds(micros * 1000L);
        var first = from.InZone(zone).Date.PlusDays(-1);
        for (var chunk = 0; chunk < 400; chunk++)
        {
            // Consecutive windows: an interval split at a window's end is consumed in two parts, which measures the same.
            var window = Union(calendar, zone, first, 31);
            foreach (var (open, close) in window)
            {
                var start = open > from ? open : from;
                if (close <= start)
                {
                    continue;
                }

                var available = close - start;
                if (remaining <= available)
                {
                    return start + remaining;
                }

                remaining -= available;
                from = close;
            }

            first = first.PlusDays(31);
        }

        throw new InvalidOperationException("no business time found within the search range");
    }

    /// <summary>Business time between two instants in microseconds, negative when <paramref name="to"/> is earlier.</summary>
    public static long Between(TestCalendar calendar, Instant from, Instant to)
    {
        var (low, high) = from <= to ? (from, to) : (to, from);
        var zone = DateTimeZoneProviders.Tzdb[calendar.Zone];
        var first = low.InZone(zone).Date.PlusDays(-1);
        var days = Period.Between(first, high.InZone(zone).Date.PlusDays(1), PeriodUnits.Days).Days + 1;
        var total = Duration.Zero;
        foreach (var (open, close) in Union(calendar, zone, first, days))
        {
            var start = open > low ? open : low;
            var end = close < high ? close : high;
            if (end > start)
            {
                total += end - start;
            }
        }

        var micros = total.BclCompatibleTicks / 10;
        return from <= to ? micros : -micros;
    }

    /// <summary>The opening intervals of the local dates [first, first + days) as instants, merged into a union.</summary>
    private static List<(Instant Open, Instant Close)> Union(TestCalendar calendar, DateTimeZone zone, LocalDate first, int days)
    {
        var intervals = new List<(Instant Open, Instant Close)>();
        for (var i = 0; i < days; i++)
        {
            var date = first.PlusDays(i);
            if (calendar.Holidays.Contains(date))
            {
                continue;
            }

            foreach (var interval in calendar.Intervals.Where(x => x.Day == date.DayOfWeek))
            {
                var open = Resolve(zone, date, interval.From);
                var close = Resolve(zone, date, interval.To);
                if (close > open)
                {
                    intervals.Add((open, close));
                }
            }
        }

        intervals.Sort((a, b) => a.Open.CompareTo(b.Open));
        var merged = new List<(Instant Open, Instant Close)>();
        foreach (var (open, close) in intervals)
        {
            if (merged.Count > 0 && open <= merged[^1].Close)
            {
                if (close > merged[^1].Close)
                {
                    merged[^1] = (merged[^1].Open, close);
                }
            }
            else
            {
                merged.Add((open, close));
            }
        }

        return merged;
    }

    private static Instant Resolve(DateTimeZone zone, LocalDate date, int minuteOfDay)
    {
        var local = minuteOfDay == 1440
            ? date.PlusDays(1).AtMidnight()
            : date.At(new LocalTime(minuteOfDay / 60, minuteOfDay % 60));
        return zone.ResolveLocal(local, Resolver).ToInstant();
    }
}
