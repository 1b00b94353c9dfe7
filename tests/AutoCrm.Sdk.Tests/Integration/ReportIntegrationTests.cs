using System.Text.Json.Nodes;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Reports;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>CSAT and reports through the SDK, the DevStack and PostgreSQL, as each role (docs/reports.md). Each test works
/// in a queue of its own, so the numbers are exactly its own tickets' whatever else the shared database holds. The
/// tests of this class run one after another (one of them changes the rating scale and puts it back).</summary>
public sealed class ReportIntegrationTests(DevStackFixture stack)
{
    // The hand-computed week (UTC): Monday 3 to Monday 10 March 2025.
    private static readonly DateTimeOffset From = At(3, 0, 0);
    private static readonly DateTimeOffset To = At(10, 0, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset At(int day, int hour, int minute) => new(2025, 3, day, hour, minute, 0, TimeSpan.Zero);

    /// <summary>
    /// Four tickets in one queue, written by the service role at fixed instants (the database keeps given times for it),
    /// so every number below is worked out by hand:
    /// <code>
    /// T1 created 03-03 09:00 (agent A, web)    A replies 10:30 (first reply 90)  solved 13:00 (resolution 240)      rated good
    /// T2 created 03-04 08:00 (agent B, email)  B replies 08:20 (20)              solved 03-05 08:00 (1,440)         rated bad
    /// T3 created 03-05 23:30 (agent A, web)    A replies 03-06 00:30 (60)        open (the backlog at the end: 1)
    /// T4 created 03-06 12:00 (agent A, email)  A replies 12:10 (10); the customer writes 12:30; A answers 13:30 (next
    ///                                          reply 60); solved 14:00 (120)      not rated
    /// first replies 10, 20, 60, 90: median (20 + 60) / 2 = 40; p90 at rank 0.9 × 3 = 2.7: 60 + 0.7 × 30 = 81
    /// resolutions 120, 240, 1,440: median 240; p90 at rank 1.8: 240 + 0.8 × 1,200 = 1,200
    /// replies before each solve: 1, 1, 2 → median 1; CSAT: 1 good of 2 = 50 %
    /// </code>
    /// </summary>
    private async Task<Week> SeedWeekAsync()
    {
        var queue = await stack.CreateQueueAsync();
        var a = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var b = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);

        async Task<Guid> TicketAsync(DateTimeOffset created, TestUser agent, string channel)
        {
            var row = new JsonObject
            {
                ["subject"] = "Week ticket " + created.ToString("O"),
                ["requester_id"] = customer.Id,
                ["queue_id"] = queue.Id,
                ["assignee_id"] = agent.Id,
                ["status"] = "open",
                ["metadata"] = new JsonObject { ["channel"] = channel },
                ["created_at"] = created,
            };
            var inserted = await stack.Service.Rest.From("tickets").Insert(row).Select("id").ToJsonAsync(Ct);
            return inserted[0].GetProperty("id").GetGuid();
        }

        Task MessageAsync(Guid ticket, TestUser author, DateTimeOffset at) => stack.Service.Rest.From("ticket_messages").Insert(new JsonObject
        {
            ["ticket_id"] = ticket, ["author_id"] = author.Id, ["body"] = "Message at " + at.ToString("O"), ["created_at"] = at,
        }).ExecuteAsync(Ct);

        Task SolveAsync(Guid ticket, DateTimeOffset at) => stack.Service.Rest.From("tickets").Eq("id", ticket)
            .Update(new JsonObject { ["status"] = "solved", ["solved_at"] = at }).ExecuteAsync(Ct);

        var t1 = await TicketAsync(At(3, 9, 0), a, "web");
        await MessageAsync(t1, a, At(3, 10, 30));
        await SolveAsync(t1, At(3, 13, 0));
        var t2 = await TicketAsync(At(4, 8, 0), b, "email");
        await MessageAsync(t2, b, At(4, 8, 20));
        await SolveAsync(t2, At(5, 8, 0));
        var t3 = await TicketAsync(At(5, 23, 30), a, "web");
        await MessageAsync(t3, a, At(6, 0, 30));
        var t4 = await TicketAsync(At(6, 12, 0), a, "email");
        await MessageAsync(t4, a, At(6, 12, 10));
        await MessageAsync(t4, customer, At(6, 12, 30));
        await MessageAsync(t4, a, At(6, 13, 30));
        await SolveAsync(t4, At(6, 14, 0));
        return new Week(queue.Id, a, b, customer, t1, t2, t3, t4);
    }

    [Fact]
    public async Task A_customer_rates_solved_tickets_once_per_solve_and_staff_read_the_ratings_of_their_tickets()
    {
        var week = await SeedWeekAsync();
        var other = await stack.CreateUserAsync(UserRole.Customer);
        var outsider = await stack.CreateUserAsync(UserRole.Agent, (await stack.CreateQueueAsync()).Id);
        var customer = week.Customer.Crm;

        Assert.Equal(CsatScale.GoodBad, (await customer.Ratings.GetSettingsAsync(Ct)).CsatScale);
        var open = await Assert.ThrowsAsync<CrmConflictException>(() => customer.Ratings.RateAsync(week.T3, CsatScore.Good, cancellationToken: Ct));
        Assert.Equal(409, open.Status);
        await Assert.ThrowsAsync<CrmNotFoundException>(() => other.Crm.Ratings.RateAsync(week.T1, CsatScore.Good, cancellationToken: Ct));
        await Assert.ThrowsAsync<CrmNotFoundException>(() => week.A.Crm.Ratings.RateAsync(week.T1, CsatScore.Good, cancellationToken: Ct));
        var offScale = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Ratings.RateAsync(week.T1, CsatScore.Points(4), cancellationToken: Ct));
        Assert.Equal("rating", offScale.Field);
        Assert.Equal("rating", Assert.Throws<CrmValidationException>(() => CsatScore.Points(6)).Field);
        var longComment = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Ratings.RateAsync(week.T1, CsatScore.Good, new string('x', 2001), Ct));
        Assert.Equal("comment", longComment.Field);

        // First bad, then changed (within 7 days) to good with a comment: still one rating, of the first solve.
        await customer.Ratings.RateAsync(week.T1, CsatScore.Bad, cancellationToken: Ct);
        var rated = await customer.Ratings.RateAsync(week.T1, CsatScore.Good, "Quick", Ct);
        Assert.Equal(
            (1, CsatScale.GoodBad, 1, true, "Quick", (Guid?)week.QueueId, (Guid?)week.A.Id, "web", At(3, 13, 0)),
            (rated.Resolution, rated.Scale, rated.Score, rated.Satisfied, rated.Comment, rated.QueueId, rated.AgentId, rated.Channel, rated.SolvedAt));
        var bad = await customer.Ratings.RateAsync(week.T2, CsatScore.Bad, cancellationToken: Ct);
        Assert.Equal((0, false, (string?)null), (bad.Score, bad.Satisfied, bad.Comment));

        // Who reads what: the requester and the ticket's queue's agents; not another customer or an agent of another queue.
        Assert.Equal("Quick", Assert.Single(await week.A.Crm.Ratings.GetForTicketAsync(week.T1, Ct)).Comment);
        Assert.Single(await week.B.Crm.Ratings.GetForTicketAsync(week.T1, Ct));
        Assert.Single(await customer.Ratings.GetForTicketAsync(week.T1, Ct));
        Assert.Empty(await other.Crm.Ratings.GetForTicketAsync(week.T1, Ct));
        Assert.Empty(await outsider.Crm.Ratings.GetForTicketAsync(week.T1, Ct));

        // Seven days after it was given, a rating can no longer change (the service role moves the rating's creation back).
        await stack.Service.Rest.From("ticket_ratings").Eq("ticket_id", week.T2)
            .Update(new JsonObject { ["created_at"] = DateTimeOffset.UtcNow.AddDays(-8) }).ExecuteAsync(Ct);
        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Ratings.RateAsync(week.T2, CsatScore.Good, cancellationToken: Ct));
        Assert.False(Assert.Single(await customer.Ratings.GetForTicketAsync(week.T2, Ct)).Satisfied);

        // The hand-computed week, as admin, as an agent of the queue (her reports cover her queues) and for one agent.
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var summary = await admin.Crm.Reports.GetSummaryAsync(From, To, week.QueueId, cancellationToken: Ct);
        AssertWeek(summary);
        AssertWeek(await week.A.Crm.Reports.GetSummaryAsync(From, To, cancellationToken: Ct));
        var onlyA = await admin.Crm.Reports.GetSummaryAsync(From, To, week.QueueId, week.A.Id, Ct);
        Assert.Equal(
            (3L, 2L, 3L, (decimal?)60m, (decimal?)180m, (long?)null, 1L, (decimal?)100m),
            (onlyA.TicketsCreated, onlyA.TicketsSolved, onlyA.FirstReplyCount, onlyA.FirstReplyMedianMinutes, onlyA.ResolutionMedianMinutes,
             onlyA.BacklogAtEnd, onlyA.Ratings, onlyA.CsatPercent));

        // An agent of another queue sees none of it, and may not ask for this queue.
        Assert.Equal(0L, (await outsider.Crm.Reports.GetSummaryAsync(From, To, cancellationToken: Ct)).TicketsCreated);
        await Assert.ThrowsAsync<CrmForbiddenException>(() => outsider.Crm.Reports.GetSummaryAsync(From, To, week.QueueId, cancellationToken: Ct));

        // Leaderboard: A (2 solves, 4 answering replies) before B (1 solve).
        var board = await admin.Crm.Reports.GetAgentLeaderboardAsync(From, To, week.QueueId, Ct);
        Assert.Equal(2, board.Count);
        Assert.Equal(
            (week.A.Id, 4L, 2L, (decimal?)60m, (decimal?)180m, 1L, (decimal?)100m),
            (board[0].AgentId, board[0].Replies, board[0].TicketsSolved, board[0].FirstReplyMedianMinutes, board[0].ResolutionMedianMinutes, board[0].Ratings, board[0].CsatPercent));
        Assert.Equal(
            (week.B.Id, 1L, 1L, (decimal?)20m, (decimal?)1440m, 1L, (decimal?)0m),
            (board[1].AgentId, board[1].Replies, board[1].TicketsSolved, board[1].FirstReplyMedianMinutes, board[1].ResolutionMedianMinutes, board[1].Ratings, board[1].CsatPercent));
    }

    private static void AssertWeek(ReportSummary s)
    {
        Assert.Equal((4L, 3L, 4L, 1L, 0L, 2L), (s.TicketsCreated, s.TicketsSolved, s.FirstReplyCount, s.NextReplyCount, s.Reopens, s.Ratings));
        Assert.Equal(
            ((decimal?)40m, (decimal?)81m, (decimal?)60m, (decimal?)240m, (decimal?)1200m, (decimal?)240m, (decimal?)1m),
            (s.FirstReplyMedianMinutes, s.FirstReplyP90Minutes, s.NextReplyMedianMinutes, s.ResolutionMedianMinutes, s.ResolutionP90Minutes,
             s.FirstResolutionMedianMinutes, s.RepliesToResolutionMedian));
        Assert.Equal(((decimal?)0m, (long?)1L, (decimal?)50m), (s.ReopenRatePercent, s.BacklogAtEnd, s.CsatPercent));
    }

    [Fact]
    public async Task Time_series_buckets_are_days_weeks_and_months_of_the_time_zone()
    {
        var week = await SeedWeekAsync();
        var reports = week.A.Crm.Reports;
        var created = new ReportTimeSeriesQuery { Metric = ReportMetric.TicketsCreated, From = From, To = To };

        // UTC days: one ticket on each of 3, 4, 5 and 6 March. Tokyo days (+09:00): T3 (23:30 UTC on the 5th) is on the
        // 6th there, with T4; the period's last instant is on Tokyo's 10th, so there are 8 buckets.
        var utc = await reports.GetTimeSeriesAsync(created, Ct);
        Assert.Equal([1m, 1m, 1m, 1m, 0m, 0m, 0m], utc.Select(p => p.Value));
        Assert.Equal(From, utc[0].BucketStart);
        var tokyo = await reports.GetTimeSeriesAsync(created with { TimeZone = "Asia/Tokyo" }, Ct);
        Assert.Equal([1m, 1m, 0m, 2m, 0m, 0m, 0m, 0m], tokyo.Select(p => p.Value));
        Assert.All(tokyo, p => Assert.Equal((TimeSpan.FromHours(9), TimeSpan.Zero), (p.BucketStart.Offset, p.BucketStart.TimeOfDay)));
        Assert.Equal(new DateOnly(2025, 3, 3), tokyo[0].LocalDate);
        Assert.Equal(new DateOnly(2025, 3, 10), tokyo[^1].LocalDate);

        // New York's clocks went forward on Sunday 9 March 2025: that day is 23 hours long, and the buckets' offsets change.
        var solved = await reports.GetTimeSeriesAsync(created with
        {
            Metric = ReportMetric.TicketsSolved, To = At(11, 0, 0), TimeZone = "America/New_York",
        }, Ct);
        Assert.Equal([0m, 1m, 0m, 1m, 1m, 0m, 0m, 0m, 0m], solved.Select(p => p.Value));
        var sunday = solved.Single(p => p.LocalDate == new DateOnly(2025, 3, 9));
        var monday = solved.Single(p => p.LocalDate == new DateOnly(2025, 3, 10));
        Assert.Equal((TimeSpan.FromHours(-5), TimeSpan.FromHours(-4), TimeSpan.FromHours(23)), (sunday.BucketStart.Offset, monday.BucketStart.Offset, monday.BucketStart - sunday.BucketStart));

        // One Monday-to-Sunday week by agent: A's first replies 90, 60, 10 (median 60), B's 20.
        var byAgent = await reports.GetTimeSeriesAsync(new ReportTimeSeriesQuery
        {
            Metric = ReportMetric.FirstReplyMedian, Bucket = ReportBucket.Week, GroupBy = ReportGrouping.Agent, From = From, To = To, QueueId = week.QueueId,
        }, Ct);
        Assert.Equal(2, byAgent.Count);
        Assert.Equal((60m, 3L), byAgent.Where(p => p.GroupKey == week.A.Id.ToString()).Select(p => (p.Value!.Value, p.Samples)).Single());
        Assert.Equal((20m, 1L), byAgent.Where(p => p.GroupKey == week.B.Id.ToString()).Select(p => (p.Value!.Value, p.Samples)).Single());

        // A month by channel: web T1, T3; email T2, T4.
        var byChannel = await reports.GetTimeSeriesAsync(created with { Bucket = ReportBucket.Month, GroupBy = ReportGrouping.Channel }, Ct);
        Assert.Equal([("email", 2m), ("web", 2m)], byChannel.Select(p => (p.GroupKey, p.Value!.Value)).Select(x => (x.GroupKey!, x.Item2)));
    }

    [Fact]
    public async Task Reports_are_for_staff_and_bad_arguments_are_typed_errors_before_or_from_the_database()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var admin = await stack.CreateUserAsync(UserRole.Admin);

        var refused = await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Reports.GetSummaryAsync(From, To, cancellationToken: Ct));
        Assert.Equal(403, refused.Status);
        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Reports.GetAgentLeaderboardAsync(From, To, cancellationToken: Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Reports.GetTimeSeriesAsync(
            new ReportTimeSeriesQuery { Metric = ReportMetric.CsatPercent, From = From, To = To }, Ct));
        using (var anonymous = stack.Client())
        {
            var signedOut = await Assert.ThrowsAsync<CrmAuthException>(() => anonymous.Reports.GetSummaryAsync(From, To, cancellationToken: Ct));
            Assert.Equal("session_missing", signedOut.Code);
        }

        Assert.Equal("to_at", (await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Reports.GetSummaryAsync(To, From, cancellationToken: Ct))).Field);
        Assert.Equal("to_at", (await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Reports.GetSummaryAsync(From, From.AddDays(401), cancellationToken: Ct))).Field);
        var zone = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Reports.GetTimeSeriesAsync(
            new ReportTimeSeriesQuery { Metric = ReportMetric.TicketsCreated, From = From, To = To, TimeZone = "Mars/Olympus_Mons" }, Ct));
        Assert.Equal("time_zone", zone.Field);
        var metric = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Reports.GetTimeSeriesAsync(
            new ReportTimeSeriesQuery { Metric = new ReportMetric("tickets_exploded"), From = From, To = To }, Ct));
        Assert.Equal("metric", metric.Field);
    }

    [Fact]
    public async Task Admins_choose_the_five_point_scale_and_ratings_follow_it()
    {
        var week = await SeedWeekAsync();
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        await Assert.ThrowsAsync<CrmForbiddenException>(() => week.Customer.Crm.Ratings.UpdateSettingsAsync(CsatScale.FivePoint, null, Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => week.A.Crm.Ratings.UpdateSettingsAsync(CsatScale.FivePoint, null, Ct));
        var before = await admin.Crm.Ratings.GetSettingsAsync(Ct);
        try
        {
            Assert.Equal(CsatScale.FivePoint, (await admin.Crm.Ratings.UpdateSettingsAsync(CsatScale.FivePoint, before.BusinessHoursId, Ct)).CsatScale);
            var good = await Assert.ThrowsAsync<CrmValidationException>(() => week.Customer.Crm.Ratings.RateAsync(week.T4, CsatScore.Good, cancellationToken: Ct));
            Assert.Equal("rating", good.Field);
            var four = await week.Customer.Crm.Ratings.RateAsync(week.T4, CsatScore.Points(4), cancellationToken: Ct);
            Assert.Equal((CsatScale.FivePoint, 4, true), (four.Scale, four.Score, four.Satisfied));
            var two = await week.Customer.Crm.Ratings.RateAsync(week.T1, CsatScore.Points(2), cancellationToken: Ct);
            Assert.False(two.Satisfied);
            var summary = await admin.Crm.Reports.GetSummaryAsync(From, To, week.QueueId, cancellationToken: Ct);
            Assert.Equal((2L, (decimal?)50m), (summary.Ratings, summary.CsatPercent));
        }
        finally
        {
            await admin.Crm.Ratings.UpdateSettingsAsync(before.CsatScale, before.BusinessHoursId, CancellationToken.None);
        }
    }

    private sealed record Week(Guid QueueId, TestUser A, TestUser B, TestUser Customer, Guid T1, Guid T2, Guid T3, Guid T4);
}
