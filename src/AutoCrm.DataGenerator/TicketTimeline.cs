namespace AutoCrm.DataGenerator;

/// <summary>
/// When tickets are created: over <see cref="CrmDataOptions.Years"/> years up to <see cref="CrmDataOptions.End"/>,
/// three times as many per day at the end as at the start (a growing business), fewer at weekends and at night (UTC).
/// A position in [0, 1) maps monotonically to a time, so ticket <c>i</c> of <c>n</c> is created at position
/// <c>(i + jitter) / n</c>: tickets come out nearly in creation order, numbers grow with time.
/// </summary>
internal sealed class TicketTimeline
{
    private static readonly double[] HourWeights =
        [0.15, 0.12, 0.10, 0.10, 0.12, 0.20, 0.35, 0.60, 0.85, 1.00, 1.00, 0.95, 0.85, 0.95, 1.00, 1.00, 0.90, 0.75, 0.55, 0.45, 0.40, 0.35, 0.28, 0.20];

    private readonly DateTimeOffset _start;
    private readonly WeightedSampler _hours;
    private readonly double[] _cumulative;

    public TicketTimeline(DateTimeOffset end, double years)
    {
        var hours = (int)Math.Ceiling(years * 365.25 * 24);
        _start = end.AddHours(-hours);
        var weights = new double[hours];
        for (var h = 0; h < hours; h++)
        {
            var t = _start.AddHours(h);
            var growth = 1.0 + 2.0 * h / hours;
            var weekday = t.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.35 : 1.0;
            weights[h] = growth * weekday * HourWeights[t.Hour];
        }

        _hours = new WeightedSampler(weights);
        _cumulative = new double[hours];
        double sum = 0;
        for (var h = 0; h < hours; h++)
        {
            sum += _hours.Probability(h);
            _cumulative[h] = sum;
        }
    }

    /// <summary>The creation time at position <paramref name="u"/> in [0, 1).</summary>
    public DateTimeOffset At(double u)
    {
        var h = _hours.IndexOf(u);
        var low = h == 0 ? 0 : _cumulative[h - 1];
        var width = _cumulative[h] - low;
        var fraction = width <= 0 ? 0 : Math.Clamp((u - low) / width, 0, 0.999_999);
        return _start.AddTicks((long)((h + fraction) * TimeSpan.TicksPerHour) / 10 * 10);
    }
}
