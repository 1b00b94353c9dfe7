using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using AutoCrm.ConsoleHost.Cli;
using AutoCrm.Sdk;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tickets;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AutoCrm.ConsoleHost.Demo;

/// <summary>The <c>autocrm demo</c> flow: demo users and queues through the SDK, customers filing tickets while agents
/// concurrently claim, reply, note, re-prioritise and solve, customers reopening or closing, a live view of the realtime
/// events, and a summary whose event counts must match the audit log.</summary>
internal sealed class DemoRunner(CliEnvironment environment, DemoOptions options, Uri url, string serviceKey, string? anonKey)
{
    private static readonly string[] AgentNames = ["Alice", "Bob", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana"];
    private static readonly string[] CustomerNames = ["Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy"];
    private static readonly string[] Subjects =
    [
        "Cannot log in after password reset", "Invoice shows the wrong VAT rate", "Export to CSV times out", "Refund for duplicate charge",
        "Two-factor codes never arrive", "Card declined on renewal", "Dashboard is blank in Safari", "Change the billing email",
        "API returns 500 on large uploads", "Cancel my subscription", "Webhook retries flood our server", "Upgrade to the annual plan",
    ];

    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private readonly ConcurrentDictionary<string, DemoEvent> _received = new();
    private readonly ConcurrentQueue<DemoEvent> _recent = new();
    private readonly ConcurrentDictionary<string, int> _claims = new();
    /// <summary>The tickets this run filed, with their numbers (what people call a ticket; the UUIDv7 ids of tickets
    /// created within a minute or so share their first hex digits).</summary>
    private readonly ConcurrentDictionary<Guid, long> _tickets = new();
    private readonly object _waitLock = new();
    private HashSet<string>? _expected;
    private TaskCompletionSource? _allReceived;
    private int _filed;
    private int _replies;
    private int _notes;
    private int _priorityChanges;
    private int _solved;
    private int _reopened;
    private int _closed;
    private string _phase = "starting";
    private IReadOnlyList<QueueStats> _stats = [];
    private Exception? _feedError;

    internal async Task<DemoSummary> RunAsync(CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        using var service = NewClient(serviceKey);
        var userKey = anonKey ?? serviceKey;

        Phase("creating demo users and queues");
        var admin = await CreateUserAsync(service, $"admin.{_run}@autocrm.demo", "Ada Admin", UserRole.Admin, cancellationToken).ConfigureAwait(false);
        var agents = await Task.WhenAll(AgentNames.Take(options.Agents).Select(n =>
            CreateUserAsync(service, $"agent.{n.ToLowerInvariant()}.{_run}@autocrm.demo", n + " Agent", UserRole.Agent, cancellationToken))).ConfigureAwait(false);
        var customers = await Task.WhenAll(CustomerNames.Take(options.Customers).Select(n =>
            CreateUserAsync(service, $"{n.ToLowerInvariant()}.{_run}@customer.demo", n + " Customer", UserRole.Customer, cancellationToken))).ConfigureAwait(false);
        var general = await service.Queues.CreateAsync(new NewQueue { Slug = $"general-{_run}", Name = $"General ({_run})", Description = "Demo queue" }, cancellationToken).ConfigureAwait(false);
        var billing = await service.Queues.CreateAsync(new NewQueue { Slug = $"billing-{_run}", Name = $"Billing ({_run})", Description = "Demo queue" }, cancellationToken).ConfigureAwait(false);
        Queue[] queues = [general, billing];
        foreach (var agent in agents)
        {
            foreach (var queue in queues)
            {
                await service.Queues.AddMemberAsync(queue.Id, agent.Id, cancellationToken).ConfigureAwait(false);
            }
        }

        var adminClient = await SignInAsync(userKey, admin, cancellationToken).ConfigureAwait(false);
        var agentClients = await Task.WhenAll(agents.Select(a => SignInAsync(userKey, a, cancellationToken))).ConfigureAwait(false);
        var customerClients = await Task.WhenAll(customers.Select(c => SignInAsync(userKey, c, cancellationToken))).ConfigureAwait(false);
        try
        {
            var queueIds = queues.Select(q => q.Id).ToHashSet();
            var baseline = await NewestEventIdAsync(service, cancellationToken).ConfigureAwait(false);
            await using var feed = new RealtimeFeed(adminClient.Client, statusQueue: null, queueIds, OnEvent, e => _feedError = e);
            Phase("waiting for the realtime streams to go live");
            await feed.WhenLiveAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            Phase("customers filing tickets, agents working them");
            var work = RunWorkloadAsync(agentClients, customerClients, queues, cancellationToken);
            if (environment.IsTerminal && !options.Json)
            {
                await environment.Console.Live(Render(feed)).AutoClear(false).StartAsync(async ctx =>
                {
                    using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
                    var all = FinishAsync(work, service, queueIds, baseline, cancellationToken);
                    var stats = Task.CompletedTask;
                    var tick = 0;
                    while (!all.IsCompleted)
                    {
                        await Task.WhenAny(all, timer.WaitForNextTickAsync(cancellationToken).AsTask()).ConfigureAwait(false);
                        if (++tick % 5 == 0 && stats.IsCompleted)
                        {
                            // The queue statistics panel refreshes about once a second while agents work.
                            stats = RefreshStatsAsync(service, queueIds, cancellationToken);
                        }

                        ctx.UpdateTarget(Render(feed));
                    }

                    await stats.ConfigureAwait(false);

                    await all.ConfigureAwait(false);
                    ctx.UpdateTarget(Render(feed));
                }).ConfigureAwait(false);
            }
            else
            {
                if (!options.Json)
                {
                    environment.Console.MarkupLineInterpolated($"Demo run {_run} against {url} — live events from {feed.Description}.");
                }

                await FinishAsync(work, service, queueIds, baseline, cancellationToken).ConfigureAwait(false);
            }

            var summary = await SummarizeAsync(service, queues, feed, started, cancellationToken).ConfigureAwait(false);
            Phase("automation: a rule routes a refund ticket, an agent applies a macro");
            var automation = await DemoAutomationStep.RunAsync(adminClient.Client, customerClients[0].Client, agentClients[0].Client, billing, _run, cancellationToken).ConfigureAwait(false);
            Phase("integrations: a signed webhook to a local receiver, search, a CSAT rating and today's report");
            var integrations = await DemoIntegrationsStep.RunAsync(
                adminClient.Client, customerClients.Select(c => c.Client).ToList(), url, serviceKey, _tickets.Keys.ToList(), _run, cancellationToken).ConfigureAwait(false);
            return summary with { Automation = automation, Integrations = integrations };
        }
        finally
        {
            foreach (var c in agentClients.Concat(customerClients).Append(adminClient))
            {
                c.Client.Dispose();
            }
        }
    }

    private async Task FinishAsync(Task work, CrmClient service, HashSet<Guid> queueIds, long baseline, CancellationToken cancellationToken)
    {
        await work.ConfigureAwait(false);
        _stats = await StatsAsync(service, queueIds, cancellationToken).ConfigureAwait(false);
        Phase("waiting for the streams to deliver every change");
        var expected = await ExpectedEventsAsync(service, queueIds, baseline, cancellationToken).ConfigureAwait(false);
        Task wait;
        lock (_waitLock)
        {
            _expected = expected;
            _allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            CheckAllReceived();
            wait = _allReceived.Task;
        }

        try
        {
            await wait.WaitAsync(options.EventTimeout, cancellationToken).ConfigureAwait(false);
            Phase("done");
        }
        catch (TimeoutException)
        {
            Phase($"timed out after {options.EventTimeout.TotalSeconds:0} s waiting for events");
        }
    }

    private void OnEvent(DemoEvent e)
    {
        if (!_received.TryAdd(e.Key, e))
        {
            return;
        }

        _recent.Enqueue(e);
        while (_recent.Count > 14 && _recent.TryDequeue(out _))
        {
        }

        lock (_waitLock)
        {
            CheckAllReceived();
        }
    }

    private void CheckAllReceived()
    {
        if (_expected is not null && _allReceived is not null && _expected.All(_received.ContainsKey))
        {
            _allReceived.TrySetResult();
        }
    }

    private async Task RunWorkloadAsync(SignedIn[] agents, SignedIn[] customers, Queue[] queues, CancellationToken cancellationToken)
    {
        var filed = Channel.CreateUnbounded<Guid>();
        var solved = Channel.CreateUnbounded<Ticket>();
        var reopened = Channel.CreateUnbounded<Ticket>();
        var byId = customers.ToDictionary(c => c.User.Id);
        var agentById = agents.ToDictionary(a => a.User.Id);

        // Customers file their tickets concurrently.
        var filing = Task.WhenAll(customers.Select(async (customer, ci) =>
        {
            for (var i = ci; i < options.Tickets; i += customers.Length)
            {
                await PauseAsync(cancellationToken).ConfigureAwait(false);
                var ticket = await customer.Client.Tickets.CreateAsync(
                    new NewTicket
                    {
                        Subject = Subjects[i % Subjects.Length],
                        Description = $"Hello, {Subjects[i % Subjects.Length].ToLowerInvariant()}. Can you help? — {customer.Name}",
                        QueueId = queues[i % queues.Length].Id,
                        Priority = (i % 5) switch { 0 => TicketPriority.Urgent, 1 or 2 => TicketPriority.High, 3 => TicketPriority.Normal, _ => TicketPriority.Low },
                        Tags = ["demo", i % 2 == 0 ? "web" : "email"],
                        Metadata = CrmMetadata.From(new JsonObject { ["demo_run"] = _run, ["plan"] = i % 3 == 0 ? "pro" : "free" }),
                    },
                    cancellationToken).ConfigureAwait(false);
                _tickets.TryAdd(ticket.Id, ticket.Number);
                Interlocked.Increment(ref _filed);
                await filed.Writer.WriteAsync(ticket.Id, cancellationToken).ConfigureAwait(false);
            }
        })).ContinueWith(t => { filed.Writer.TryComplete(t.Exception); return t; }, TaskScheduler.Default).Unwrap();

        // Agents claim concurrently (claim_next_ticket never hands one ticket to two agents) and work what they get.
        var working = Task.WhenAll(agents.Select(async agent =>
        {
            await foreach (var _ in filed.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await ClaimAndWorkAsync(agent, solved, cancellationToken).ConfigureAwait(false);
            }

            // Claims can skip rows locked by a colleague's claim; drain until nothing is left.
            while (await ClaimAndWorkAsync(agent, solved, cancellationToken).ConfigureAwait(false))
            {
            }
        })).ContinueWith(t => { solved.Writer.TryComplete(t.Exception); return t; }, TaskScheduler.Default).Unwrap();

        // Customers react to solved tickets: some reply and reopen, some close, the rest are happy.
        var reacting = Task.Run(
            async () =>
            {
                await foreach (var ticket in solved.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    await PauseAsync(cancellationToken).ConfigureAwait(false);
                    var customer = byId[ticket.RequesterId];
                    switch (ticket.Number % 3)
                    {
                        case 0:
                            await customer.Client.Tickets.ReplyAsync(ticket.Id, "Thanks, but it is still happening.", cancellationToken: cancellationToken).ConfigureAwait(false);
                            Interlocked.Increment(ref _replies);
                            var open = await customer.Client.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Open }, cancellationToken: cancellationToken).ConfigureAwait(false);
                            Interlocked.Increment(ref _reopened);
                            await reopened.Writer.WriteAsync(open, cancellationToken).ConfigureAwait(false);
                            break;
                        case 1:
                            await customer.Client.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Closed }, cancellationToken: cancellationToken).ConfigureAwait(false);
                            Interlocked.Increment(ref _closed);
                            break;
                    }
                }
            },
            cancellationToken).ContinueWith(t => { reopened.Writer.TryComplete(t.Exception); return t; }, TaskScheduler.Default).Unwrap();

        // The assignee picks reopened tickets back up and solves them for good.
        var followUp = Task.Run(
            async () =>
            {
                await foreach (var ticket in reopened.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    var agent = ticket.AssigneeId is { } a && agentById.TryGetValue(a, out var assigned) ? assigned : agents[0];
                    await PauseAsync(cancellationToken).ConfigureAwait(false);
                    await agent.Client.Tickets.ReplyAsync(ticket.Id, "Found the real cause this time; fixed.", cancellationToken: cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _replies);
                    await agent.Client.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Solved }, cancellationToken: cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _solved);
                }
            },
            cancellationToken);

        await Task.WhenAll(filing, working, reacting, followUp).ConfigureAwait(false);
    }

    private async Task<bool> ClaimAndWorkAsync(SignedIn agent, Channel<Ticket> solved, CancellationToken cancellationToken)
    {
        await PauseAsync(cancellationToken).ConfigureAwait(false);
        var ticket = await agent.Client.Queues.ClaimNextAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (ticket is null)
        {
            return false;
        }

        _claims.AddOrUpdate(agent.Name, 1, (_, n) => n + 1);
        await agent.Client.Tickets.ReplyAsync(ticket.Id, $"Hi, {agent.Name} here — looking into it now.", cancellationToken: cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _replies);
        await PauseAsync(cancellationToken).ConfigureAwait(false);
        if (ticket.Number % 2 == 0)
        {
            await agent.Client.Tickets.AddInternalNoteAsync(ticket.Id, "Reproduced; likely the cache. Customer is on the " + (ticket.Metadata["plan"]?.GetString() ?? "free") + " plan.", cancellationToken: cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _notes);
        }

        if (ticket.Priority is TicketPriority.Low or TicketPriority.Normal && ticket.Number % 2 == 1)
        {
            await agent.Client.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Priority = TicketPriority.High }, cancellationToken: cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _priorityChanges);
        }

        await PauseAsync(cancellationToken).ConfigureAwait(false);
        var done = await agent.Client.Tickets.UpdateAsync(ticket.Id, new TicketPatch { Status = TicketStatus.Solved }, cancellationToken: cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _solved);
        await solved.Writer.WriteAsync(done, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<HashSet<string>> ExpectedEventsAsync(CrmClient service, HashSet<Guid> queueIds, long baseline, CancellationToken cancellationToken)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal);
        var ticketQueues = new Dictionary<Guid, Guid?>();
        var last = baseline;
        while (true)
        {
            var rows = await service.Rest.From("ticket_events").Gt("id", last).Order("id").Limit(1000).ToJsonAsync(cancellationToken).ConfigureAwait(false);
            if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() == 0)
            {
                return expected;
            }

            foreach (var row in rows.EnumerateArray())
            {
                last = row.GetProperty("id").GetInt64();
                if (!_tickets.ContainsKey(row.GetProperty("ticket_id").GetGuid()))
                {
                    continue;
                }

                foreach (var e in DemoProjection.Project(row, queueIds, ticketQueues))
                {
                    expected.Add(e.Key);
                }
            }
        }
    }

    private static async Task<long> NewestEventIdAsync(CrmClient service, CancellationToken cancellationToken)
    {
        var rows = await service.Rest.From("ticket_events").Select("id").Order("id", descending: true).Limit(1).ToJsonAsync(cancellationToken).ConfigureAwait(false);
        return rows.ValueKind == JsonValueKind.Array && rows.GetArrayLength() > 0 ? rows[0].GetProperty("id").GetInt64() : 0;
    }

    private async Task RefreshStatsAsync(CrmClient service, HashSet<Guid> queueIds, CancellationToken cancellationToken)
    {
        try
        {
            _stats = await StatsAsync(service, queueIds, cancellationToken).ConfigureAwait(false);
        }
        catch (CrmException)
        {
            // A missed refresh only leaves the panel a second older.
        }
    }

    private static async Task<IReadOnlyList<QueueStats>> StatsAsync(CrmClient service, HashSet<Guid> queueIds, CancellationToken cancellationToken) =>
        [.. (await service.Queues.GetStatsAsync(cancellationToken).ConfigureAwait(false)).Where(s => queueIds.Contains(s.QueueId))];

    private async Task<DemoSummary> SummarizeAsync(CrmClient service, Queue[] queues, IDemoFeed feed, long started, CancellationToken cancellationToken)
    {
        var tickets = new List<Ticket>();
        foreach (var queue in queues)
        {
            await foreach (var t in service.Tickets.ListAsync(new TicketQuery { QueueId = queue.Id, PageSize = 500 }).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                tickets.Add(t);
            }
        }

        var firstResponses = tickets.Where(t => t.FirstResponseAt is not null).Select(t => (t.FirstResponseAt!.Value - t.CreatedAt).TotalSeconds).Order().ToList();
        double? median = firstResponses.Count == 0 ? null
            : firstResponses.Count % 2 == 1 ? firstResponses[firstResponses.Count / 2]
            : (firstResponses[(firstResponses.Count / 2) - 1] + firstResponses[firstResponses.Count / 2]) / 2;
        var expected = _expected ?? [];
        var received = _received.Values.Where(e => _tickets.ContainsKey(e.TicketId)).ToList();
        var receivedKeys = received.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var status = TicketRecordStatuses.ToDictionary(s => s, s => tickets.Count(t => Arguments.Snake(t.Status) == s));
        return new DemoSummary
        {
            Run = _run,
            Url = url.ToString(),
            Feed = feed.Description,
            DurationSeconds = Math.Round(TimeProvider.System.GetElapsedTime(started).TotalSeconds, 1),
            Agents = options.Agents,
            Customers = options.Customers,
            TicketsFiled = _filed,
            TicketsByStatus = status,
            ClaimsPerAgent = new SortedDictionary<string, int>(_claims, StringComparer.Ordinal),
            Replies = _replies,
            InternalNotes = _notes,
            PriorityChanges = _priorityChanges,
            Reopened = _reopened,
            ClosedByCustomers = _closed,
            MedianFirstResponseSeconds = median is null ? null : Math.Round(median.Value, 3),
            StatusChangesMade = expected.Count(k => k.StartsWith("s:", StringComparison.Ordinal)),
            StatusEventsReceived = received.Count(e => e.Stream == DemoEvent.StatusStream),
            QueueUpdatesMade = expected.Count(k => k.StartsWith("q:", StringComparison.Ordinal)),
            QueueUpdatesReceived = received.Count(e => e.Stream == DemoEvent.QueueStream),
            QueueOpenCounts = _stats.ToDictionary(s => s.Slug, s => s.OpenCount),
            Consistent = _feedError is null && expected.SetEquals(receivedKeys),
        };
    }

    private static readonly string[] TicketRecordStatuses = ["new", "open", "pending", "on_hold", "solved", "closed"];

    private IRenderable Render(IDemoFeed feed)
    {
        var events = new Table().Border(TableBorder.Rounded).Title("[bold]live events[/]").Expand()
            .AddColumn("stream").AddColumn("ticket").AddColumn("change");
        foreach (var e in _recent.ToArray())
        {
            events.AddRow(
                e.Stream == DemoEvent.StatusStream ? "[blue]tickets:status_change[/]" : "[green]queue:updates[/]",
                Markup.Escape(TicketLabel(_tickets, e.TicketId)),
                Markup.Escape(e.Text));
        }

        var counters = new Grid().AddColumn().AddColumn();
        counters.AddRow("[grey]phase[/]", Markup.Escape(_phase));
        counters.AddRow("[grey]tickets filed[/]", _filed.ToString(CultureInfo.InvariantCulture));
        counters.AddRow("[grey]claims[/]", Markup.Escape(string.Join(", ", _claims.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value}"))));
        counters.AddRow("[grey]replies / notes[/]", $"{_replies} / {_notes}");
        counters.AddRow("[grey]solved / reopened / closed[/]", $"{_solved} / {_reopened} / {_closed}");
        counters.AddRow("[grey]events received[/]", _received.Count.ToString(CultureInfo.InvariantCulture));
        counters.AddRow("[grey]feed[/]", Markup.Escape(feed.Description));
        var right = new Rows(new Panel(counters).Header($"demo run {_run}"), Commands.QueueStatsTable.Build(_stats));
        return new Columns(events, right);
    }

    /// <summary>How the live display names a ticket: its number, or a note for a ticket this run did not file.</summary>
    internal static string TicketLabel(IReadOnlyDictionary<Guid, long> numbers, Guid ticketId) =>
        numbers.TryGetValue(ticketId, out var number) ? $"#{number}" : "(other)";

    /// <summary>Lets a person follow the run: each simulated person waits this long before each action.</summary>
    private Task PauseAsync(CancellationToken cancellationToken) =>
        options.Pace > TimeSpan.Zero ? Task.Delay(options.Pace, cancellationToken) : Task.CompletedTask;

    private void Phase(string phase)
    {
        _phase = phase;
        if (!environment.IsTerminal && !options.Json)
        {
            environment.Console.MarkupLineInterpolated($"[grey]…[/] {phase}");
        }
    }

    private CrmClient NewClient(string key) =>
        new(new CrmClientOptions { Url = url, ApiKey = key, SessionStore = new InMemorySessionStore(), LoggerFactory = environment.LoggerFactory });

    private static async Task<DemoUser> CreateUserAsync(CrmClient service, string email, string name, UserRole role, CancellationToken cancellationToken)
    {
        var user = await service.Auth.Admin.CreateUserAsync(
            new AdminUserAttributes { Email = email, Password = DemoOptions.Password, EmailConfirm = true, UserMetadata = CrmMetadata.From(new JsonObject { ["display_name"] = name }) },
            cancellationToken).ConfigureAwait(false);
        if (role != UserRole.Customer)
        {
            await service.Profiles.SetRoleAsync(user.Id, role, cancellationToken).ConfigureAwait(false);
        }

        return new DemoUser(user.Id, email, name.Split(' ')[0]);
    }

    private async Task<SignedIn> SignInAsync(string key, DemoUser user, CancellationToken cancellationToken)
    {
        var client = NewClient(key);
        await client.Auth.SignInWithPasswordAsync(user.Email, DemoOptions.Password, cancellationToken).ConfigureAwait(false);
        return new SignedIn(user, client);
    }

    private sealed record DemoUser(Guid Id, string Email, string Name);

    private sealed record SignedIn(DemoUser User, CrmClient Client)
    {
        public string Name => User.Name;
    }
}

/// <summary>The demo's knobs.</summary>
internal sealed record DemoOptions
{
    internal const string Password = "autocrm-demo";

    public int Tickets { get; init; } = 12;

    public int Agents { get; init; } = 3;

    public int Customers { get; init; } = 3;

    public bool Json { get; init; }

    public TimeSpan EventTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long each simulated person waits before each action (zero: as fast as the stack allows).</summary>
    public TimeSpan Pace { get; init; }
}
