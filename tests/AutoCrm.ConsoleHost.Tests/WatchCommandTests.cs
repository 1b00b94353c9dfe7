using System.Text.Json;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.ConsoleHost.Tests;

public sealed class WatchCommandTests(DevStackFixture stack)
{
    [Fact]
    public async Task Watch_prints_queue_updates_and_status_changes_as_json_lines_until_cancelled()
    {
        var ct = TestContext.Current.CancellationToken;
        using var service = stack.ServiceClient();
        var queue = await service.Queues.CreateAsync(new NewQueue { Slug = "w-" + Guid.NewGuid().ToString("N")[..10], Name = "Watch test" }, ct);
        var carol = (await service.Profiles.ListAsync(cancellationToken: ct).ToListAsync(ct)).Single(p => p.Email == "carol@customer.demo");

        var cli = stack.Cli();
        await cli.LoginAsync("admin@autocrm.demo");
        var output = new SignalWriter();
        var text = new SignalWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watching = cli.RunAsync(output, text, stop.Token, "watch", "--queue", queue.Slug, "--json");
        // watch prints its banner only once its streams are live: every change after it must be shown, with no probing.
        await text.WaitForAsync(t => t.Contains("Watching", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        var ticket = await service.Tickets.CreateAsync(new NewTicket { Subject = "Watch me", QueueId = queue.Id, RequesterId = carol.Id }, ct);
        await service.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Pending }, cancellationToken: ct);
        var id = ticket.Id.ToString();
        var arrived = output.WaitForAsync(
            o => o.Split('\n').Any(l => l.Contains(id, StringComparison.Ordinal) && l.Contains("\"entered\"", StringComparison.Ordinal))
                && o.Split('\n').Any(l => l.Contains(id, StringComparison.Ordinal) && l.Contains("new → pending", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30));
        try
        {
            await arrived;
        }
        catch (TimeoutException)
        {
            Assert.Fail("events did not arrive; output so far:\n" + output + "\n" + text);
        }

        await stop.CancelAsync();
        var result = await watching;
        Assert.Equal(0, result.ExitCode);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("stream").GetString() == "queue:updates" && l.GetProperty("queue").GetString() == queue.Slug && l.GetProperty("ticket_id").GetString() == id);
        Assert.Contains(lines, l => l.GetProperty("stream").GetString() == "tickets:status_change" && l.GetProperty("change").GetString() == "new → pending" && l.GetProperty("ticket_id").GetString() == id);
    }
}
