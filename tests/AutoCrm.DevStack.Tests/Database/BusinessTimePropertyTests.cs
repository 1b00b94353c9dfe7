using System.Globalization;
using System.Text.Json;
using AutoCrm.DevStack.Tests.Infrastructure;
using NodaTime;
using Npgsql;

namespace AutoCrm.DevStack.Tests.Database;

/// <summary>
/// The SQL business-time functions agree with <see cref="BusinessTimeReference"/> (NodaTime) on thousands of random
/// calendars, holidays, instants and durations in six zones: DST in both hemispheres, a 30-minute DST shift
/// (Lord Howe), changes at midnight (Santiago) and a zone without DST at a half-hour offset (Kolkata). Half of the
/// instants fall within days of a DST change, and interval bounds favour midnight and the hours clocks skip or repeat.
/// All cases go to the database in one statement, so the test costs one round trip. The seed is fixed: a failure
/// names its cases, and the same cases come back on every run.
/// </summary>
public sealed class BusinessTimePropertyTests(SharedCluster cluster)
{
    private const int Seed = 20261205;
    private const int Cases = 3000;

    private static readonly string[] Zones =
        ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"];

    private static readonly string[] DayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    // Minutes of the day that sit on the edges: midnight, the small hours DST changes use, the end of the day.
    private static readonly int[] EdgeMinutes = [0, 30, 45, 60, 90, 120, 135, 150, 180, 210, 1380, 1410, 1439, 1440, 540, 1020];

    private static readonly Instant RangeStart = Instant.FromUtc(2020, 1, 1, 0, 0);
    private static readonly Instant RangeEnd = Instant.FromUtc(2031, 12, 31, 0, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Business_time_functions_agree_with_the_NodaTime_reference()
    {
        var random = new Random(Seed);
        var transitions = Zones.ToDictionary(z => z, Transitions);
        var cases = Enumerable.Range(0, Cases).Select(_ => NewCase(random, transitions)).ToList();
        var connectionString = await cluster.CreateMigratedDatabaseAsync("bizclock", cancellationToken: Ct);

        var actual = await RunInDatabaseAsync(connectionString, cases);

        var failures = new List<string>();
        var zonesSeen = new HashSet<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var expectedDue = BusinessTimeReference.Add(c.Calendar, c.From, c.Micros);
            var expectedBetween = BusinessTimeReference.Between(c.Calendar, c.From, c.To);
            if (actual[i].Due != expectedDue || actual[i].BetweenMicros != expectedBetween)
            {
                failures.Add($"case {i}: zone {c.Calendar.Zone}, intervals {IntervalsJson(c.Calendar)}, holidays [{string.Join(", ", c.Calendar.Holidays.Select(h => h.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))}], "
                    + $"from {c.From}, minutes {c.Minutes}, to {c.To}: add SQL {actual[i].Due} / NodaTime {expectedDue}; "
                    + $"between SQL {actual[i].BetweenMicros} µs / NodaTime {expectedBetween} µs");
            }

            zonesSeen.Add(c.Calendar.Zone);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases disagree (seed {Seed}):\n" + string.Join("\n", failures.Take(10)));
        Assert.Equal(Zones.Length, zonesSeen.Count);
        // The generator really exercises the DST changes: a good share of the cases starts within a day of one.
        var nearChange = cases.Count(c => transitions[c.Calendar.Zone].Any(t => Math.Abs((t - c.From).TotalHours) <= 24));
        Assert.True(nearChange > Cases / 4, $"only {nearChange} cases start within a day of a DST change");
    }

    private sealed record Case(TestCalendar Calendar, Instant From, decimal Minutes, long Micros, Instant To);

    private static async Task<List<(Instant Due, long BetweenMicros)>> RunInDatabaseAsync(string connectionString, List<Case> cases)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("""
            select autocrm_private.business_time_add(k.zone, w.week, k.holidays::date[], k.from_at, k.minutes),
                   round(autocrm_private.business_minutes_between(k.zone, w.week, k.holidays::date[], k.from_at, k.to_at) * 60000000)::bigint
              from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::numeric[], $6::timestamptz[])
                   with ordinality k (zone, intervals, holidays, from_at, minutes, to_at, n)
             cross join lateral (select autocrm_private.business_week(k.intervals::jsonb) as week) w
             order by k.n
            """, connection);
        command.CommandTimeout = 600;
        command.Parameters.Add(new NpgsqlParameter { Value = cases.Select(c => c.Calendar.Zone).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = cases.Select(c => IntervalsJson(c.Calendar)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = cases.Select(c => "{" + string.Join(",", c.Calendar.Holidays.Select(h => h.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))) + "}").ToArray(),
        });
        command.Parameters.Add(new NpgsqlParameter { Value = cases.Select(c => c.From.ToDateTimeUtc()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = cases.Select(c => c.Minutes).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = cases.Select(c => c.To.ToDateTimeUtc()).ToArray() });
        var results = new List<(Instant, long)>(cases.Count);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            results.Add((Instant.FromDateTimeUtc(reader.GetDateTime(0)), reader.GetInt64(1)));
        }

        Assert.Equal(cases.Count, results.Count);
        return results;
    }

    private static Case NewCase(Random random, Dictionary<string, List<Instant>> transitions)
    {
        var zone = Zones[random.Next(Zones.Length)];
        var changes = transitions[zone];
        var from = changes.Count > 0 && random.Next(2) == 0
            ? changes[random.Next(changes.Count)] + Duration.FromMinutes(random.Next(-36 * 60, 36 * 60))
            : RangeStart + Duration.FromMinutes(random.NextInt64((long)(RangeEnd - RangeStart).TotalMinutes));
        from = Jitter(random, from);
        var intervals = NewIntervals(random);
        var localDate = from.InZone(DateTimeZoneProviders.Tzdb[zone]).Date;
        var holidays = Enumerable.Range(0, random.Next(4) == 0 ? random.Next(1, 8) : 0)
            .Select(_ => localDate.PlusDays(random.Next(-2, 15)))
            .Distinct()
            .OrderBy(d => d)
            .ToList();
        var weekly = intervals.Sum(i => i.To - i.From);
        var minutes = random.Next(10) switch
        {
            0 => 0m,
            < 4 => random.Next(1, 121),
            < 7 => random.Next(1, weekly * 2 + 1),
            _ => random.Next(1, weekly * 200 + 1) / 100m, // hundredths of a minute: exact in microseconds
        };
        var to = Jitter(random, from + Duration.FromMinutes(random.Next(-3 * 1440, 21 * 1440)));
        return new Case(new TestCalendar(zone, intervals, holidays), from, minutes, (long)(minutes * 60_000_000m), to);
    }

    // Most instants sit on a quarter hour, where interval bounds are; the rest carry seconds and microseconds.
    private static Instant Jitter(Random random, Instant instant)
    {
        var minute = Instant.FromUnixTimeSeconds(instant.ToUnixTimeSeconds() / 900 * 900);
        return random.Next(5) < 3 ? minute : minute + Duration.FromNanoseconds(random.NextInt64(900L * 1_000_000) * 1000L);
    }

    private static List<OpeningInterval> NewIntervals(Random random)
    {
        var intervals = new List<OpeningInterval>();
        for (var day = 1; day <= 7; day++)
        {
            var count = random.Next(10) switch { < 3 => 0, < 7 => 1, < 9 => 2, _ => 3 };
            var cuts = new SortedSet<int>();
            while (cuts.Count < count * 2)
            {
                cuts.Add(random.Next(2) == 0 ? EdgeMinutes[random.Next(EdgeMinutes.Length)] : random.Next(0, 1441));
            }

            var ordered = cuts.ToArray();
            for (var i = 0; i < ordered.Length; i += 2)
            {
                intervals.Add(new OpeningInterval((IsoDayOfWeek)day, ordered[i], ordered[i + 1]));
            }
        }

        if (intervals.Count == 0)
        {
            intervals.Add(new OpeningInterval((IsoDayOfWeek)random.Next(1, 8), 540, 1020));
        }

        return intervals;
    }

    private static string IntervalsJson(TestCalendar calendar) => JsonSerializer.Serialize(calendar.Intervals.Select(i => new Dictionary<string, string>
    {
        ["day"] = DayNames[(int)i.Day - 1],
        ["start"] = Clock(i.From),
        ["end"] = Clock(i.To),
    }));

    private static string Clock(int minuteOfDay) =>
        $"{(minuteOfDay / 60).ToString("00", CultureInfo.InvariantCulture)}:{(minuteOfDay % 60).ToString("00", CultureInfo.InvariantCulture)}";

    private static List<Instant> Transitions(string zone) =>
        DateTimeZoneProviders.Tzdb[zone].GetZoneIntervals(RangeStart, RangeEnd)
            .Where(i => i.HasStart && i.Start > RangeStart)
            .Select(i => i.Start)
            .ToList();
}
