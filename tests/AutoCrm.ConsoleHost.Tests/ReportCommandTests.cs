using System.Text.Json.Nodes;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Reports;

namespace AutoCrm.ConsoleHost.Tests;

/// <summary><c>autocrm report summary|timeseries</c> over two tickets written at fixed instants in a queue of their own
/// (the numbers are worked out below), as admin and as a customer.</summary>
public sealed class ReportCommandTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// <code>
    /// T1 created 2025-03-03 09:00Z (web)            Alice replies 10:30 (first reply 90)  solved 13:00   Carol rates it good
    /// T2 created 2025-03-04 23:30Z (a formula as    Alice replies 03-05 00:30 (60)        open
    ///    its channel)
    /// created 2, solved 1, first reply median (60 + 90) / 2 = 75, backlog at the end 1, CSAT 100 %
    /// Tokyo (+09:00) days: T1 on 03-03 (18:00), T2 on 03-05 (08:30)
    /// </code>
    /// </summary>
    private async Task<Queue> SeedAsync()
    {
        using var service = stack.ServiceClient();
        var queue = await service.Queues.CreateAsync(new NewQueue { Slug = "rep-" + Guid.NewGuid().ToString("N")[..10], Name = "Report test" }, Ct);
        var profiles = await service.Profiles.ListAsync(cancellationToken: Ct).ToListAsync(Ct);
        var alice = profiles.Single(p => p.Email == "agent.alice@autocrm.demo").Id;
        var carol = profiles.Single(p => p.Email == "carol@customer.demo").Id;
        await service.Queues.AddMemberAsync(queue.Id, alice, Ct);

        async Task<Guid> TicketAsync(DateTimeOffset created, string channel, DateTimeOffset reply)
        {
            var rows = await service.Rest.From("tickets").Insert(new JsonObject
            {
                ["subject"] = "Report " + channel, ["requester_id"] = carol, ["queue_id"] = queue.Id, ["assignee_id"] = alice,
                ["status"] = "open", ["metadata"] = new JsonObject { ["channel"] = channel }, ["created_at"] = created,
            }).Select("id").ToJsonAsync(Ct);
            var id = rows[0].GetProperty("id").GetGuid();
            await service.Rest.From("ticket_messages").Insert(new JsonObject
            {
                ["ticket_id"] = id, ["author_id"] = alice, ["body"] = "On it.", ["created_at"] = reply,
            }).ExecuteAsync(Ct);
            return id;
        }

        var t1 = await TicketAsync(new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero), "web", new(2025, 3, 3, 10, 30, 0, TimeSpan.Zero));
        await TicketAsync(new(2025, 3, 4, 23, 30, 0, TimeSpan.Zero), "=HYPERLINK(\"http://evil.test\",\"x\")", new(2025, 3, 5, 0, 30, 0, TimeSpan.Zero));
        await service.Rest.From("tickets").Eq("id", t1)
            .Update(new JsonObject { ["status"] = "solved", ["solved_at"] = new DateTimeOffset(2025, 3, 3, 13, 0, 0, TimeSpan.Zero) }).ExecuteAsync(Ct);

        using var customer = new CrmClient(new CrmClientOptions { Url = stack.Server.Url, ApiKey = stack.Server.AnonKey, SessionStore = new InMemorySessionStore() });
        await customer.Auth.SignInWithPasswordAsync("carol@customer.demo", "autocrm-demo", Ct);
        await customer.Ratings.RateAsync(t1, CsatScore.Good, cancellationToken: Ct);
        return queue;
    }

    [Fact]
    public async Task Summary_and_timeseries_print_the_numbers_as_json_csv_and_charts()
    {
        var queue = await SeedAsync();
        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");
        string[] period = ["--from", "2025-03-03", "--to", "2025-03-10", "--queue", queue.Slug];

        var summary = (await admin.RunAsync(["report", "summary", .. period, "--json"])).Succeeded().Json;
        Assert.Equal(
            (2L, 1L, 75m, 1L, 1L, 100m),
            (summary.GetProperty("tickets_created").GetInt64(), summary.GetProperty("tickets_solved").GetInt64(),
             summary.GetProperty("first_reply_median_minutes").GetDecimal(), summary.GetProperty("backlog_at_end").GetInt64(),
             summary.GetProperty("ratings").GetInt64(), summary.GetProperty("csat_percent").GetDecimal()));

        var csv = (await admin.RunAsync(["report", "summary", .. period, "--csv"])).Succeeded().Output.Split("\r\n");
        Assert.Equal("metric,value", csv[0]);
        Assert.Contains("tickets_created,2", csv);
        Assert.Contains(csv, line => line.StartsWith("first_reply_median_minutes,75", StringComparison.Ordinal));
        Assert.Contains("first_reply_median_business_minutes,", csv);

        var table = (await admin.RunAsync(["report", "summary", .. period])).Succeeded().Text;
        Assert.Contains("backlog at end", table, StringComparison.Ordinal);
        Assert.Contains("csat_percent", table, StringComparison.Ordinal);

        // Days of Tokyo (the dates too are Tokyo's: 3 to 10 March there, 7 days): T1 on the 3rd, T2 on the 5th.
        var tokyo = (await admin.RunAsync(["report", "timeseries", "tickets_created", .. period, "--time-zone", "Asia/Tokyo", "--json"])).Succeeded().Json;
        Assert.Equal([1m, 0m, 1m, 0m, 0m, 0m, 0m], tokyo.EnumerateArray().Select(p => p.GetProperty("value").GetDecimal()));
        Assert.Equal("2025-03-03", tokyo[0].GetProperty("local_date").GetString());
        Assert.EndsWith("+09:00", tokyo[0].GetProperty("bucket_start").GetString(), StringComparison.Ordinal);
        var chart = (await admin.RunAsync(["report", "timeseries", "first_reply_median", .. period, "--bucket", "week", "--group-by", "queue"])).Succeeded().Text;
        Assert.Contains(queue.Slug, chart, StringComparison.Ordinal);
        Assert.Contains("2025-03-03", chart, StringComparison.Ordinal);

        // A channel anyone can choose when filing a ticket goes to the CSV as text, never as a formula.
        var byChannel = (await admin.RunAsync(["report", "timeseries", "tickets_created", .. period, "--group-by", "channel", "--csv"])).Succeeded().Output;
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\"", byChannel, StringComparison.Ordinal);
        Assert.DoesNotContain(byChannel.Split("\r\n").SelectMany(line => line.Split(',')), cell => cell.TrimStart('"').StartsWith('='));
        Assert.StartsWith("bucket_start,local_date,group_key,value,samples\r\n2025-03-03T00:00:00+00:00,2025-03-03,", byChannel, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Customers_are_refused_and_bad_options_are_usage_errors()
    {
        var carol = stack.Cli();
        await carol.LoginAsync("carol@customer.demo");
        var refused = await carol.RunAsync("report", "summary");
        Assert.True(refused.ExitCode == 4, refused.ToString());

        var admin = stack.Cli();
        await admin.LoginAsync("admin@autocrm.demo");
        Assert.Equal(2, (await admin.RunAsync("report", "summary", "--json", "--csv")).ExitCode);
        Assert.Equal(2, (await admin.RunAsync("report", "summary", "--time-zone", "Mars/Olympus_Mons")).ExitCode);
        Assert.Equal(2, (await admin.RunAsync("report", "summary", "--from", "2025-03-10", "--to", "2025-03-03")).ExitCode);
        Assert.Equal(2, (await admin.RunAsync("report", "timeseries", "tickets_created", "--bucket", "fortnight")).ExitCode);
        var metric = await admin.RunAsync("report", "timeseries", "tickets_exploded");
        Assert.True(metric.ExitCode == 1, metric.ToString());
        Assert.Contains("metric", metric.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await admin.RunAsync("report", "summary")).ExitCode);
    }
}
