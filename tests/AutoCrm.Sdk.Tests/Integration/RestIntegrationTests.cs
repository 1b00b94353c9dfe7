using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Rest;

namespace AutoCrm.Sdk.Tests.Integration;

public sealed class RestIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Quoted_values_filters_counts_and_single_rows_work_against_the_server()
    {
        var queue = await stack.CreateQueueAsync();
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var subjects = new[] { "Hebdon, John", "it's (complicated)", "say \"hi\"", "plain" };
        foreach (var subject in subjects)
        {
            await customer.Crm.Tickets.CreateAsync(new Tickets.NewTicket { Subject = subject, QueueId = queue.Id, Tags = ["a b", "c,d"] }, Ct);
        }

        var tickets = customer.Crm.Rest.From("tickets").Eq("queue_id", queue.Id);
        var quoted = await tickets.In("subject", subjects.Take(3)).ToListAsync(CrmJsonContext.Default.Ticket, Ct);
        Assert.Equal(3, quoted.Count);
        var tree = await tickets.Or(RestFilter.Eq("subject", "Hebdon, John"), RestFilter.And(RestFilter.Eq("subject", "plain"), RestFilter.Contains("tags", ["c,d"])))
            .ToListAsync(CrmJsonContext.Default.Ticket, Ct);
        Assert.Equal(2, tree.Count);
        Assert.Equal(4, await tickets.CountAsync(cancellationToken: Ct));
        var counted = await tickets.Count().Order("subject").Range(0, 1).ToResultAsync(CrmJsonContext.Default.Ticket, Ct);
        Assert.Equal(4, counted.TotalCount);
        Assert.Equal(2, counted.Rows.Count);
        Assert.Equal("plain", (await tickets.Eq("subject", "plain").SingleAsync(CrmJsonContext.Default.Ticket, Ct)).Subject);
        Assert.Null(await tickets.Eq("subject", "missing").MaybeSingleAsync(CrmJsonContext.Default.Ticket, Ct));
        await Assert.ThrowsAsync<CrmNotFoundException>(() => tickets.Eq("subject", "missing").SingleAsync(CrmJsonContext.Default.Ticket, Ct));
        await Assert.ThrowsAsync<CrmException>(() => tickets.SingleAsync(CrmJsonContext.Default.Ticket, Ct));
    }

    [Fact]
    public async Task Upsert_merges_on_a_unique_column_and_rpc_returns_rows()
    {
        var slug = "up-" + Guid.NewGuid().ToString("N")[..12];
        var queues = stack.Service.Rest.From("queues");

        await queues.Upsert(new JsonObject { ["slug"] = slug, ["name"] = "First" }, onConflict: "slug").ExecuteAsync(Ct);
        var merged = await queues.Upsert(new JsonObject { ["slug"] = slug, ["name"] = "Second" }, onConflict: "slug").SingleAsync(CrmJsonContext.Default.Queue, Ct);
        var ignored = await queues.Upsert(new JsonObject { ["slug"] = slug, ["name"] = "Third" }, onConflict: "slug", ignoreDuplicates: true).ToListAsync(CrmJsonContext.Default.Queue, Ct);

        Assert.Equal("Second", merged.Name);
        Assert.Empty(ignored);
        Assert.Equal("Second", (await queues.Eq("slug", slug).SingleAsync(CrmJsonContext.Default.Queue, Ct)).Name);
        var stats = await stack.Service.Rest.Rpc("queue_stats").Eq("slug", slug).ToListAsync(CrmJsonContext.Default.QueueStats, Ct);
        Assert.Equal(slug, Assert.Single(stats).Slug);
        await queues.Eq("slug", slug).Delete().ExecuteAsync(Ct);
        Assert.Equal(0, await queues.Eq("slug", slug).CountAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Server_errors_arrive_as_typed_exceptions()
    {
        using var anon = stack.Client();

        var missing = await Assert.ThrowsAsync<CrmNotFoundException>(() => anon.Rest.From("no_such_table").ExecuteAsync(Ct));
        Assert.Equal(404, missing.Status);
        var bad = await Assert.ThrowsAsync<CrmValidationException>(() => stack.Service.Rest.From("tickets").Eq("id", "not-a-uuid").ExecuteAsync(Ct));
        Assert.Equal("22P02", bad.Code);
        var noWhere = await Assert.ThrowsAsync<CrmValidationException>(() => stack.Service.Rest.From("tickets").Delete().ExecuteAsync(Ct));
        Assert.Equal("21000", noWhere.Code);
    }
}
