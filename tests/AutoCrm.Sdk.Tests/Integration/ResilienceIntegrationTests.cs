using System.Collections.Concurrent;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Integration;

public sealed class ResilienceIntegrationTests(DevStackFixture stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Lets every second ticket insert reach the server and commit, then loses its response.</summary>
    private sealed class DropAfterCommitHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _inserts;

        public int Dropped;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/rest/v1/tickets", StringComparison.Ordinal)
                && Interlocked.Increment(ref _inserts) % 2 == 1)
            {
                response.Dispose();
                Interlocked.Increment(ref Dropped);
                throw new HttpRequestException("The connection was reset after the server committed.");
            }

            return response;
        }
    }

    [Fact]
    public async Task Creates_whose_responses_are_lost_are_retried_without_duplicates()
    {
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        var session = (await customer.Crm.Auth.GetSessionAsync(Ct))!;
        using var handler = new DropAfterCommitHandler();
        using var faulty = stack.Client(handler: handler, maxRetries: 3);
        var crm = faulty.WithSession(session);
        var marker = Guid.NewGuid().ToString("N");

        var created = new List<Ticket>();
        for (var i = 0; i < 20; i++)
        {
            created.Add(await crm.Tickets.CreateAsync(new NewTicket { Subject = $"{marker} {i}", Tags = [marker] }, Ct));
        }

        Assert.Equal(20, handler.Dropped);
        var stored = await TicketIntegrationTests.ToListAsync(stack.Service.Tickets.ListAsync(new TicketQuery { TagsAny = [marker] }, Ct));
        Assert.Equal(20, stored.Count);
        Assert.Equal(created.Select(t => t.Id).Order(), stored.Select(t => t.Id).Order());
    }

    [Fact]
    public async Task Paging_through_5000_tickets_while_they_change_returns_each_exactly_once()
    {
        var queue = await stack.CreateQueueAsync();
        var customer = await stack.CreateUserAsync(UserRole.Customer);
        await QueueIntegrationTests.InsertTicketsAsync(stack.Service, queue.Id, customer.Id, 5000, "paging");
        var ids = (await stack.Service.Rest.From("tickets").Select("id").Eq("queue_id", queue.Id)
            .ToJsonAsync(Ct)).EnumerateArray().Select(e => e.GetProperty("id").GetGuid()).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var updates = 0;
        var writer = Task.Run(async () =>
        {
            var random = new Random(5000);
            while (!stop.IsCancellationRequested)
            {
                var id = ids[random.Next(ids.Length)];
                await stack.Service.Tickets.UpdateAsync(id, new TicketPatch { Priority = (TicketPriority)random.Next(4), Tags = ["paging", "touched"] }, cancellationToken: Ct);
                Interlocked.Increment(ref updates);
            }
        }, Ct);

        var seen = new ConcurrentBag<Guid>();
        var pages = 0;
        await foreach (var page in stack.Service.Tickets.ListAsync(new TicketQuery { QueueId = queue.Id, PageSize = 250 }, Ct).AsPages().WithCancellation(Ct))
        {
            pages++;
            foreach (var ticket in page.Items)
            {
                seen.Add(ticket.Id);
            }
        }

        await stop.CancelAsync();
        await writer.ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.True(Volatile.Read(ref updates) > 0);
        Assert.True(pages >= 20);
        Assert.Equal(5000, seen.Count);
        Assert.Equal(5000, seen.Distinct().Count());
    }
}
