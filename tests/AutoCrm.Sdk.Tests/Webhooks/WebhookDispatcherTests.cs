using System.Collections.Concurrent;
using System.Globalization;
using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AutoCrm.Sdk.Tests.Webhooks;

/// <summary>
/// The webhook dispatcher against a real PostgreSQL (its own DevStack) and a real Kestrel receiver. Time is a
/// <see cref="FakeTimeProvider"/> shared by the dispatchers and the receiver: the test moves it to the next due attempt
/// when nothing is due, so three days of backoff take no wall-clock time and nothing sleeps.
/// </summary>
public sealed class WebhookDispatcherTests(WebhookStack stack) : IClassFixture<WebhookStack>
{
    private const int Tickets = 250;
    private const int Versions = 4; // created (v0) and three updates: 1,000 events
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_thousand_events_to_a_receiver_failing_half_the_time_with_two_dispatchers_restarted_twice_are_each_delivered_in_order_per_ticket()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var marker = "wh" + Guid.NewGuid().ToString("N")[..10];
        var (endpoint, secret) = await stack.CreateEndpointAsync("ticket.created", "ticket.updated");

        var random = new Random(20261205);
        var failuresInARow = new ConcurrentDictionary<Guid, int>();
        var accepted = new ConcurrentDictionary<Guid, (Guid EventId, Guid TicketId, int Version)>();
        var acceptedOrder = new ConcurrentDictionary<Guid, ConcurrentQueue<int>>();
        var eventOfDelivery = new ConcurrentDictionary<Guid, Guid>();
        var inFlight = new ConcurrentDictionary<Guid, int>();
        var overlaps = 0;
        var mismatched = 0;
        var requests = 0;
        CancellationTokenSource? killA = null;

        // Dispatcher A is stopped right after its 100th and its 400th request is answered: in the middle of a batch, with
        // that delivery received but not recorded, and the rest of the batch cut off.
        using var killSwitch = new KillSwitch([100, 400], () => Volatile.Read(ref killA)?.Cancel());

        await using var receiver = await WebhookReceiver.StartAsync(time, secret, (evt, context) =>
        {
            var delivery = evt.DeliveryId!.Value;
            if (inFlight.AddOrUpdate(delivery, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            try
            {
                Interlocked.Increment(ref requests);
                if (eventOfDelivery.GetOrAdd(delivery, evt.Id) != evt.Id)
                {
                    Interlocked.Increment(ref mismatched);
                }

                bool fail;
                lock (random)
                {
                    fail = random.NextDouble() < 0.5 && failuresInARow.GetValueOrDefault(delivery) < 5 && !accepted.ContainsKey(delivery);
                }

                if (fail)
                {
                    var failures = failuresInARow.AddOrUpdate(delivery, 1, (_, f) => f + 1);
                    context.Response.StatusCode = failures % 2 == 0 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
                    if (failures % 2 == 0)
                    {
                        context.Response.Headers.RetryAfter = "120";
                    }

                    return Task.CompletedTask;
                }

                var version = int.Parse(evt.Ticket!.Subject[(evt.Ticket.Subject.LastIndexOf('v') + 1)..], CultureInfo.InvariantCulture);
                if (accepted.TryAdd(delivery, (evt.Id, evt.Ticket.Id, version)))
                {
                    acceptedOrder.GetOrAdd(evt.Ticket.Id, _ => new ConcurrentQueue<int>()).Enqueue(version);
                }

                return Task.CompletedTask;
            }
            finally
            {
                inFlight.AddOrUpdate(delivery, 0, (_, n) => n - 1);
            }
        });
        await stack.PointEndpointAsync(endpoint, receiver.Url);

        // The changes arrive while the dispatchers run; two transactions roll back and must leave nothing behind.
        var half = Tickets / 2;
        var changes = new Queue<Func<Task>>(
        [
            () => stack.SqlAsync($"insert into public.tickets (subject, requester_id) select '{marker} ' || g || ' v0', @customer from generate_series(1, {half}) g"),
            () => stack.SqlAsync($"insert into public.tickets (subject, requester_id) select '{marker} rolled back v0', @customer from generate_series(1, 50) g", commit: false),
            () => stack.SqlAsync($"insert into public.tickets (subject, requester_id) select '{marker} ' || g || ' v0', @customer from generate_series({half + 1}, {Tickets}) g"),
            .. Enumerable.Range(1, Versions - 1).Select(v => (Func<Task>)(() => stack.SqlAsync(
                $"update public.tickets set subject = regexp_replace(subject, ' v[0-9]+$', ' v{v}') where subject like '{marker} %'"))),
            () => stack.SqlAsync($"update public.tickets set subject = subject || ' rolled back v9' where subject like '{marker} %'", commit: false),
        ]);

        var restarts = 0;
        var generation = 0;
        WebhookDispatcher NewA() => stack.Dispatcher(time, $"dispatcher-a{generation++}", o =>
        {
            Tune(o);
            o.HttpMessageHandler = killSwitch;
        });
        var a = NewA();
        using var b = stack.Dispatcher(time, "dispatcher-b", Tune);
        var rounds = 0;
        try
        {
            while (true)
            {
                Assert.True(++rounds < 2_000, "the dispatchers stopped making progress");
                if (changes.TryDequeue(out var change))
                {
                    await change();
                }

                killA = new CancellationTokenSource();
                var roundA = RoundAsync(a, killA.Token);
                var roundB = b.DispatchDueAsync(Ct);
                var leasedA = await roundA;
                var leasedB = await roundB;
                if (leasedA < 0)
                {
                    // Stopped mid-batch: start a new dispatcher, as a restarted process would.
                    a.Dispose();
                    a = NewA();
                    restarts++;
                }

                if (leasedA > 0 || leasedB != 0 || changes.Count > 0)
                {
                    continue;
                }

                var next = await stack.ScalarAsync<object>(
                    "select min(greatest(next_attempt_at, coalesce(leased_until, next_attempt_at))) from public.webhook_deliveries where endpoint_id = @endpoint and state = 'pending'",
                    endpoint);
                if (next is DBNull)
                {
                    break;
                }

                var due = new DateTimeOffset(DateTime.SpecifyKind((DateTime)next, DateTimeKind.Utc));
                time.SetUtcNow(due > time.GetUtcNow() ? due : time.GetUtcNow().AddSeconds(1));
            }
        }
        finally
        {
            a.Dispose();
        }

        // Every committed event is delivered, exactly the committed ones, each accepted once, signed correctly.
        var deliveries = await stack.RowsAsync(
            "select id, state, payload->'data'->'ticket'->>'subject' from public.webhook_deliveries where endpoint_id = @endpoint",
            endpoint, r => (Id: r.GetGuid(0), State: r.GetString(1), Subject: r.GetString(2)));
        Assert.Equal(Tickets * Versions, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal("delivered", d.State));
        Assert.DoesNotContain(deliveries, d => d.Subject.Contains("rolled back", StringComparison.Ordinal));
        Assert.Equal(deliveries.Select(d => d.Id).Order(), accepted.Keys.Order());
        Assert.Equal(accepted.Count, accepted.Values.Select(v => v.EventId).Distinct().Count());
        Assert.Equal(0, receiver.Refused);
        Assert.Equal(0, overlaps);
        Assert.Equal(0, mismatched);

        // One endpoint gets one ticket's events in commit order.
        Assert.Equal(Tickets, acceptedOrder.Count);
        Assert.All(acceptedOrder.Values, versions => Assert.Equal(Enumerable.Range(0, Versions), versions));

        // The run really had failures, duplicates after the stops, both dispatchers and Retry-After.
        Assert.Equal(2, restarts);
        Assert.True(requests > accepted.Count + 500, $"{requests} requests for {accepted.Count} deliveries: the receiver hardly failed");
        var dispatchers = await stack.RowsAsync(
            "select distinct a.dispatcher from public.webhook_delivery_attempts a join public.webhook_deliveries d on d.id = a.delivery_id where d.endpoint_id = @endpoint",
            endpoint, r => r.GetString(0));
        Assert.Contains("dispatcher-b", dispatchers);
        Assert.Contains(dispatchers, d => d.StartsWith("dispatcher-a", StringComparison.Ordinal));
        var earlyAfterRetryAfter = await stack.ScalarAsync<long>(
            """
            select count(*) from (
              select a.status_code, a.created_at,
                     lead(a.created_at) over (partition by a.delivery_id order by a.attempt) as next_at
                from public.webhook_delivery_attempts a join public.webhook_deliveries d on d.id = a.delivery_id
               where d.endpoint_id = @endpoint) s
             where s.status_code = 503 and s.next_at < s.created_at + interval '120 seconds'
            """, endpoint);
        Assert.Equal(0, earlyAfterRetryAfter);

        static void Tune(WebhookDispatcherOptions o)
        {
            o.LeaseDuration = TimeSpan.FromMinutes(1);
            o.CircuitFailureRatio = 0.8;
            o.CircuitMinimumThroughput = 20;
        }
    }

    /// <summary>Counts the requests a dispatcher sends and calls <c>kill</c> when the numbered ones have been answered.</summary>
    private sealed class KillSwitch(int[] killAt, Action kill) : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        private int _sent;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (Array.IndexOf(killAt, Interlocked.Increment(ref _sent)) >= 0)
            {
                kill();
            }

            return response;
        }
    }

    /// <summary>One round of a dispatcher that may be stopped: how many it leased, or -1 when it was stopped mid-batch.</summary>
    private static async Task<int> RoundAsync(WebhookDispatcher dispatcher, CancellationToken stop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, Ct);
        try
        {
            return await dispatcher.DispatchDueAsync(linked.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !Ct.IsCancellationRequested)
        {
            return -1;
        }
    }
}
