using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Reports;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

/// <summary>CSAT and reports through the SDK, the DevStack and PostgreSQL, as each role (docs/reports.md). Each test works
/// in a queue of its own, so the numbers are exactly its own tickets' whatever else the shared database holds.</summary>
public sealed class ReportIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_customer_rates_a_solved_ticket_once_per_solve_and_the_summary_counts_it()
    {
        var queue = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var other = await stack.CreateUserAsync(UserRole.Customer);
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        var from = DateTimeOffset.UtcNow.AddHours(-1);

        var ticket = await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Printer on fire", QueueId = queue.Id, Metadata = CrmMetadata.Parse("""{"channel": "web"}""") }, Ct);
        var open = await Assert.ThrowsAsync<CrmConflictException>(() => customer.Crm.Ratings.RateAsync(ticket.Id, CsatScore.Good, cancellationToken: Ct));
        Assert.Equal(409, open.Status);

        await agent.Crm.Tickets.ReplyAsync(ticket.Id, "Put it out, then call us.", cancellationToken: Ct);
        await agent.Crm.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Solved }, cancellationToken: Ct);

        await Assert.ThrowsAsync<CrmNotFoundException>(() => other.Crm.Ratings.RateAsync(ticket.Id, CsatScore.Good, cancellationToken: Ct));
        var offScale = await Assert.ThrowsAsync<CrmValidationException>(() => customer.Crm.Ratings.RateAsync(ticket.Id, CsatScore.Points(4), cancellationToken: Ct));
        Assert.Equal("rating", offScale.Field);
        Assert.Throws<CrmValidationException>(() => CsatScore.Points(6));

        var rated = await customer.Crm.Ratings.RateAsync(ticket.Id, CsatScore.Good, "Quick", Ct);
        Assert.Equal((1, CsatScale.GoodBad, 1, true, "Quick", queue.Id, "web"), (rated.Resolution, rated.Scale, rated.Score, rated.Satisfied, rated.Comment, rated.QueueId, rated.Channel));
        var summary = await admin.Crm.Reports.GetSummaryAsync(from, DateTimeOffset.UtcNow.AddHours(1), queue.Id, cancellationToken: Ct);
        Assert.Equal((1L, 1L, 1L, 1L, 100m, 0L), (summary.TicketsCreated, summary.TicketsSolved, summary.FirstReplyCount, summary.Ratings, summary.CsatPercent, summary.BacklogAtEnd));

        // Changing the rating (within 7 days) replaces it: still one rating, now bad.
        var changed = await customer.Crm.Ratings.RateAsync(ticket.Id, CsatScore.Bad, cancellationToken: Ct);
        Assert.Equal((0, false, null), (changed.Score, changed.Satisfied, changed.Comment));
        Assert.Single(await agent.Crm.Ratings.GetForTicketAsync(ticket.Id, Ct));
        Assert.Empty(await other.Crm.Ratings.GetForTicketAsync(ticket.Id, Ct));
        summary = await agent.Crm.Reports.GetSummaryAsync(from, DateTimeOffset.UtcNow.AddHours(1), queue.Id, cancellationToken: Ct);
        Assert.Equal((1L, 0m), (summary.Ratings, summary.CsatPercent));
    }

    [Fact]
    public async Task Reports_are_for_staff_by_queue_and_bad_arguments_are_typed_errors()
    {
        var queue = await stack.CreateQueueAsync();
        var elsewhere = await stack.CreateQueueAsync();
        var agent = await stack.CreateUserAsync(UserRole.Agent, queue.Id);
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var admin = await stack.CreateUserAsync(UserRole.Admin);
        await customer.Crm.Tickets.CreateAsync(new NewTicket { Subject = "Counted", QueueId = queue.Id }, Ct);
        var from = DateTimeOffset.UtcNow.AddDays(-2);
        var to = DateTimeOffset.UtcNow.AddDays(1);

        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Reports.GetSummaryAsync(from, to, cancellationToken: Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => customer.Crm.Reports.GetAgentLeaderboardAsync(from, to, cancellationToken: Ct));
        await Assert.ThrowsAsync<CrmForbiddenException>(() => agent.Crm.Reports.GetSummaryAsync(from, to, elsewhere.Id, cancellationToken: Ct));

        var period = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Reports.GetSummaryAsync(to, from, cancellationToken: Ct));
        Assert.Equal("to_at", period.Field);
        var zone = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Reports.GetTimeSeriesAsync(
            new ReportTimeSeriesQuery { Metric = ReportMetric.TicketsCreated, From = from, To = to, TimeZone = "Mars/Olympus" }, Ct));
        Assert.Equal("time_zone", zone.Field);
        var metric = await Assert.ThrowsAsync<CrmValidationException>(() => admin.Crm.Reports.GetTimeSeriesAsync(
            new ReportTimeSeriesQuery { Metric = new ReportMetric("tickets_exploded"), From = from, To = to }, Ct));
        Assert.Equal("metric", metric.Field);

        // Days of Tokyo: every bucket starts at a Tokyo midnight (+09:00), and the one ticket is in one of them.
        var series = await agent.Crm.Reports.GetTimeSeriesAsync(new ReportTimeSeriesQuery
        {
            Metric = ReportMetric.TicketsCreated, Bucket = ReportBucket.Day, From = from, To = to, TimeZone = "Asia/Tokyo", QueueId = queue.Id,
        }, Ct);
        Assert.InRange(series.Count, 3, 5);
        Assert.All(series, p => Assert.Equal((TimeSpan.FromHours(9), TimeSpan.Zero), (p.BucketStart.Offset, p.BucketStart.TimeOfDay)));
        Assert.Equal(1m, series.Sum(p => p.Value));
        Assert.Equal(1L, (await admin.Crm.Reports.GetSummaryAsync(from, to, queue.Id, cancellationToken: Ct)).TicketsCreated);
    }
}
