using AutoCrm.Sdk.Tickets;
using AutoCrm.WebHost.Pages;

namespace AutoCrm.WebHost.Tests;

/// <summary>What the SLA badge says and its level, without a browser (the browser test checks it live).</summary>
public sealed class SlaBadgeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_badge_is_plain_amber_under_a_quarter_left_and_red_when_breached()
    {
        var running = new TicketSlaState { Metric = "first_reply", DueAt = Now.AddMinutes(12), TargetMinutes = 60 };
        Assert.Equal(new SlaBadge("first reply due in 12 min", "warn"), SlaBadge.For(running, Now));
        Assert.Equal(new SlaBadge("first reply due in 15 min", "ok"), SlaBadge.For(running with { DueAt = Now.AddMinutes(15) }, Now));
        Assert.Equal(new SlaBadge("first reply due in 15 min", "warn"), SlaBadge.For(running with { DueAt = Now.AddMinutes(15).AddSeconds(-1) }, Now));
        Assert.Equal(new SlaBadge("resolution due in 3 h 5 min", "ok"), SlaBadge.For(running with { Metric = "resolution", DueAt = Now.AddMinutes(185), TargetMinutes = 480 }, Now));
        Assert.Equal(new SlaBadge("resolution due in 3 d", "ok"), SlaBadge.For(running with { Metric = "resolution", DueAt = Now.AddDays(3), TargetMinutes = 10_000 }, Now));
        Assert.Equal(new SlaBadge("first reply due now", "warn"), SlaBadge.For(running with { DueAt = Now.AddSeconds(-5) }, Now));
    }

    [Fact]
    public void A_missed_target_wins_over_the_running_one_until_it_is_met()
    {
        var state = new TicketSlaState { Metric = "resolution", DueAt = Now.AddHours(5), TargetMinutes = 480, BreachedMetric = "next_reply", BreachedAt = Now };
        Assert.Equal(new SlaBadge("next reply breached", "breached"), SlaBadge.For(state, Now));
        Assert.Equal(new SlaBadge("first reply breached", "breached"), SlaBadge.For(new TicketSlaState { BreachedMetric = "first_reply", BreachedAt = Now }, Now));
    }

    [Fact]
    public void No_running_or_missed_target_has_no_badge()
    {
        Assert.Null(SlaBadge.For(null, Now));
        Assert.Null(SlaBadge.For(new TicketSlaState(), Now));
    }
}
