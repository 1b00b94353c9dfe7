using System.Collections.Concurrent;
using System.Globalization;
using AutoCrm.Sdk.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
                if (++rounds >= 2_000)
                {
                    var state = await stack.RowsAsync(
                        "select state || ' ' || attempt_count || ' ' || next_attempt_at || ' ' || coalesce(leased_until::text, '-') || ' ' || coalesce(last_error, '') from public.webhook_deliveries where endpoint_id = @endpoint order by seq limit 5",
                        endpoint, r => r.GetString(0));
                    Assert.Fail($"the dispatchers stopped making progress at {time.GetUtcNow():O}, requests {requests}: {string.Join(" | ", state)}");
                }

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

                // Nothing is due: move the clock to the next time something becomes due (a retry, a deferral, a lease that
                // a stopped dispatcher held). A delivery due now but waiting for an earlier one of its ticket is not "next".
                var times = await stack.RowsAsync(
                    "select greatest(next_attempt_at, coalesce(leased_until, next_attempt_at)) from public.webhook_deliveries where endpoint_id = @endpoint and state = 'pending'",
                    endpoint, r => new DateTimeOffset(r.GetDateTime(0), TimeSpan.Zero));
                if (times.Count == 0)
                {
                    break;
                }

                var now = time.GetUtcNow();
                // A minute past it, as dispatchers polling every few seconds would find several retries due at once.
                var later = times.Where(t => t > now).DefaultIfEmpty(now).Min();
                time.SetUtcNow(later + TimeSpan.FromMinutes(1));
            }
        }
        finally
        {
            a.Dispose();
            await stack.DisableEndpointAsync(endpoint);
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

    [Fact]
    public async Task A_receiver_answering_410_Gone_disables_its_endpoint_and_the_delivery_is_given_up()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (endpoint, secret) = await stack.CreateEndpointAsync("ticket.created");
        await using var receiver = await WebhookReceiver.StartAsync(time, secret, (_, context) =>
        {
            context.Response.StatusCode = StatusCodes.Status410Gone;
            return Task.CompletedTask;
        });
        await stack.PointEndpointAsync(endpoint, receiver.Url);
        try
        {
            await stack.SqlAsync("insert into public.tickets (subject, requester_id) values ('gone v0', @customer)");
            CatchUp(time);
            using var dispatcher = stack.Dispatcher(time, "dispatcher-gone");

            Assert.Equal(1, await dispatcher.DispatchDueAsync(Ct));

            Assert.Equal("failed 410", await stack.ScalarAsync<string>(
                "select state || ' ' || last_status_code from public.webhook_deliveries where endpoint_id = @endpoint", endpoint));
            Assert.Equal("false The receiver answered 410 Gone", await stack.ScalarAsync<string>(
                "select active::text || ' ' || left(disabled_reason, 30) from public.webhook_endpoints where id = @endpoint", endpoint));
            time.Advance(TimeSpan.FromDays(1));
            await stack.SqlAsync("insert into public.tickets (subject, requester_id) values ('gone again v0', @customer)");
            Assert.Equal(0, await dispatcher.DispatchDueAsync(Ct));
        }
        finally
        {
            await stack.DisableEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_within_the_timeout_is_retried_later_with_backoff()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (endpoint, secret) = await stack.CreateEndpointAsync("ticket.created");
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await WebhookReceiver.StartAsync(time, secret, async (_, _) =>
        {
            arrived.TrySetResult();
            await release.Task;
        });
        await stack.PointEndpointAsync(endpoint, receiver.Url);
        try
        {
            await stack.SqlAsync("insert into public.tickets (subject, requester_id) values ('slow v0', @customer)");
            CatchUp(time);
            using var dispatcher = stack.Dispatcher(time, "dispatcher-slow");
            var started = time.GetUtcNow();

            var dispatching = dispatcher.DispatchDueAsync(Ct);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            time.Advance(TimeSpan.FromSeconds(10.5));
            Assert.Equal(1, await dispatching.WaitAsync(TimeSpan.FromSeconds(60), Ct));
            release.TrySetResult();

            var (state, attempts, error, next) = (await stack.RowsAsync(
                "select state, attempt_count, last_error, next_attempt_at from public.webhook_deliveries where endpoint_id = @endpoint", endpoint,
                r => (r.GetString(0), r.GetInt32(1), r.GetString(2), new DateTimeOffset(r.GetDateTime(3), TimeSpan.Zero)))).Single();
            Assert.Equal(("pending", 1, "No answer within 10 s."), (state, attempts, error));
            var delay = next - started;
            Assert.InRange(delay, TimeSpan.FromSeconds(10.5 + 15) - TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10.5 + 30) + TimeSpan.FromMilliseconds(1));
        }
        finally
        {
            release.TrySetResult();
            await stack.DisableEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task An_endpoint_that_keeps_failing_opens_its_circuit_its_deliveries_wait_and_are_not_leased_until_it_half_opens()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (endpoint, secret) = await stack.CreateEndpointAsync("ticket.created");
        var requests = 0;
        await using var receiver = await WebhookReceiver.StartAsync(time, secret, (_, context) =>
        {
            Interlocked.Increment(ref requests);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        });
        await stack.PointEndpointAsync(endpoint, receiver.Url);
        try
        {
            await stack.SqlAsync("insert into public.tickets (subject, requester_id) select 'circuit ' || g || ' v0', @customer from generate_series(1, 12) g");
            CatchUp(time);
            using var dispatcher = stack.Dispatcher(time, "dispatcher-circuit", o =>
            {
                o.MaxConcurrency = 1;
                o.BatchSize = 12;
                o.CircuitMinimumThroughput = 10;
                o.CircuitBreakDuration = TimeSpan.FromMinutes(1);
            });

            Assert.Equal(12, await dispatcher.DispatchDueAsync(Ct));

            // Ten failures open the circuit: the last two are deferred by its break, not attempted.
            Assert.Equal(10, requests);
            var deferred = await stack.RowsAsync(
                "select next_attempt_at from public.webhook_deliveries where endpoint_id = @endpoint and attempt_count = 0", endpoint,
                r => new DateTimeOffset(r.GetDateTime(0), TimeSpan.Zero));
            Assert.Equal(2, deferred.Count);
            Assert.All(deferred, at => Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(1), at, TimeSpan.FromMilliseconds(1)));

            // The retries of the failed ten are due after at most 30 s, but the circuit is open: nothing is leased.
            time.Advance(TimeSpan.FromSeconds(45));
            Assert.Equal(0, await dispatcher.DispatchDueAsync(Ct));
            Assert.Equal(10, requests);

            // After the break one probe is let through.
            time.Advance(TimeSpan.FromSeconds(20));
            Assert.True(await dispatcher.DispatchDueAsync(Ct) > 0);
            Assert.True(requests > 10);
        }
        finally
        {
            await stack.DisableEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task The_hosted_dispatcher_delivers_what_was_committed_before_it_started_and_after_it_restarted()
    {
        var (endpoint, secret) = await stack.CreateEndpointAsync("ticket.created");
        var accepted = new ConcurrentDictionary<Guid, bool>();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await WebhookReceiver.StartAsync(TimeProvider.System, secret, (evt, _) =>
        {
            accepted.TryAdd(evt.DeliveryId!.Value, true);
            (accepted.Count >= 20 ? second : accepted.Count >= 10 ? first : null)?.TrySetResult();
            return Task.CompletedTask;
        });
        await stack.PointEndpointAsync(endpoint, receiver.Url);
        try
        {
            await stack.SqlAsync("insert into public.tickets (subject, requester_id) select 'hosted ' || g || ' v0', @customer from generate_series(1, 10) g");
            using (var host = HostedDispatcher())
            {
                await host.StartAsync(Ct);
                await first.Task.WaitAsync(TimeSpan.FromSeconds(120), Ct);
                await host.StopAsync(Ct);
            }

            await stack.SqlAsync("insert into public.tickets (subject, requester_id) select 'hosted ' || g || ' v0', @customer from generate_series(11, 20) g");
            using (var host = HostedDispatcher())
            {
                await host.StartAsync(Ct);
                await second.Task.WaitAsync(TimeSpan.FromSeconds(120), Ct);
                await host.StopAsync(Ct);
            }

            Assert.Equal(20, accepted.Count);
        }
        finally
        {
            await stack.DisableEndpointAsync(endpoint);
        }

        IHost HostedDispatcher()
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddAutoCrmWebhookDispatcher(o =>
            {
                o.Url = stack.Server.Url;
                o.ServiceRoleKey = stack.Server.ServiceRoleKey;
                o.PollInterval = TimeSpan.FromMilliseconds(100);
            });
            return builder.Build();
        }
    }

    [Fact]
    public async Task A_host_with_invalid_dispatcher_options_fails_to_start_and_the_dispatcher_refuses_them_with_a_typed_error()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAutoCrmWebhookDispatcher(o => o.Url = new Uri("http://127.0.0.1:1"));
        using var host = builder.Build();
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));
        Assert.Contains("ServiceRoleKey", refused.Message, StringComparison.Ordinal);

        var error = Assert.Throws<CrmValidationException>(() => new WebhookDispatcher(new WebhookDispatcherOptions
        {
            Url = new Uri("http://127.0.0.1:1"),
            ServiceRoleKey = "key",
            BatchSize = 200,
            MaxConcurrency = 2,
        }));
        Assert.Equal(("invalid_options", "LeaseDuration"), (error.Code, error.Field));
    }

    /// <summary>Brings the test's clock up to the database's, so what was just committed is due.</summary>
    private static void CatchUp(FakeTimeProvider time)
    {
        if (DateTimeOffset.UtcNow > time.GetUtcNow())
        {
            time.SetUtcNow(DateTimeOffset.UtcNow);
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
