using AutoCrm.DataGenerator;
using AutoCrm.DevStack;
using AutoCrm.Sdk.AI;
using AutoCrm.Sdk.Auth;
using AutoCrm.Sdk.Tickets;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AutoCrm.Sdk.Tests.AI;

/// <summary>
/// The triage worker against a real PostgreSQL (a DevStack of its own: the worker leases every queued ticket of its
/// database) with a deterministic fake chat model; time is a <see cref="FakeTimeProvider"/> passed to the database.
/// </summary>
public sealed class TicketTriageWorkerTests(TriageStack stack) : IClassFixture<TriageStack>
{
    private const string Triage = """{"priority": "high", "tags": ["printer", "fire"], "language": "en", "sentiment": "negative"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_ticket_is_triaged_once_the_suggestion_applied_and_recorded_with_the_models_name()
    {
        var time = stack.Clock();
        var chat = new FakeChatClient(Triage);
        using var worker = stack.Worker(time, chat);
        await DrainAsync(worker); // the first call switches queueing on

        var ticket = await stack.InsertTicketAsync("Printer on fire", "It is smoking.");
        Assert.Equal(1, await DrainAsync(worker));
        Assert.Equal(0, await worker.ProcessDueAsync(Ct));

        var read = await stack.Service.Tickets.GetAsync(ticket, TicketInclude.None, Ct);
        Assert.Equal(TicketPriority.High, read.Priority);
        Assert.Equal(["printer", "fire"], read.Tags);
        var events = await stack.Service.Tickets.ListEventsAsync(ticket, Ct).ToListAsync(Ct);
        var triaged = Assert.Single(events, e => e.Kind == TicketEventKind.AiTriaged);
        Assert.Equal("fake-model-1", triaged.Model);
        Assert.Equal(MessageVisibility.Internal, triaged.Visibility);
        Assert.Null(triaged.ActorId);
        Assert.Equal("\"high\"", triaged.Changes["priority"].New.GetRawText());
        Assert.Equal("\"negative\"", triaged.Changes["sentiment"].New.GetRawText());
        Assert.Equal("\"en\"", triaged.Changes["language"].New.GetRawText());
        Assert.Equal(1, chat.Calls);
    }

    [Fact]
    public async Task Two_workers_at_once_triage_each_ticket_exactly_once()
    {
        var time = stack.Clock();
        var chat = new FakeChatClient(Triage);
        using var first = stack.Worker(time, chat, batchSize: 3);
        using var second = stack.Worker(time, chat, batchSize: 3);
        await DrainAsync(first);
        var tickets = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            tickets.Add(await stack.InsertTicketAsync($"Printer {i} on fire", "Smoke."));
        }

        while ((await Task.WhenAll(first.ProcessDueAsync(Ct), second.ProcessDueAsync(Ct))).Sum() > 0)
        {
        }

        Assert.Equal(tickets.Count, chat.Calls);
        Assert.All(await stack.TriagedEventCountsAsync(tickets), count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task A_worker_killed_during_the_model_call_leaves_the_ticket_leased_and_another_triages_it_once_after_the_lease()
    {
        var time = stack.Clock();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuck = new FakeChatClient(Triage, "stuck-model")
        {
            BeforeAnswer = async token =>
            {
                asked.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            },
        };
        var healthy = new FakeChatClient(Triage, "healthy-model");
        using var dying = stack.Worker(time, stuck, batchSize: 1);
        using var survivor = stack.Worker(time, healthy, batchSize: 1);
        await DrainAsync(dying);
        var ticket = await stack.InsertTicketAsync("Printer on fire again", "Still smoking.");

        using var kill = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = dying.ProcessDueAsync(kill.Token);
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await kill.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.Equal(0, await survivor.ProcessDueAsync(Ct)); // still leased to the dead worker
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await DrainAsync(survivor));

        Assert.Equal([1], await stack.TriagedEventCountsAsync([ticket]));
        var events = await stack.Service.Tickets.ListEventsAsync(ticket, Ct).ToListAsync(Ct);
        Assert.Equal("healthy-model", Assert.Single(events, e => e.Kind == TicketEventKind.AiTriaged).Model);
    }

    [Fact]
    public async Task A_model_that_keeps_answering_bad_json_is_retried_then_given_up_and_the_ticket_is_left_alone()
    {
        var time = stack.Clock();
        var chat = new FakeChatClient("I think this ticket is urgent!");
        using var worker = stack.Worker(time, chat, maxAttempts: 2);
        await DrainAsync(worker);
        var ticket = await stack.InsertTicketAsync("Printer smells odd", "Not sure.");

        Assert.Equal(1, await worker.ProcessDueAsync(Ct)); // attempt 1 fails: back in a minute
        Assert.Equal(0, await worker.ProcessDueAsync(Ct));
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await worker.ProcessDueAsync(Ct)); // attempt 2 fails: given up
        time.Advance(TimeSpan.FromDays(30));
        Assert.Equal(0, await worker.ProcessDueAsync(Ct));

        Assert.Equal(2, chat.Calls);
        var read = await stack.Service.Tickets.GetAsync(ticket, TicketInclude.None, Ct);
        Assert.Equal(TicketPriority.Normal, read.Priority);
        Assert.Empty(read.Tags);
        Assert.Equal([0], await stack.TriagedEventCountsAsync([ticket]));
        Assert.StartsWith("ai_invalid_response:", await stack.LastErrorAsync(ticket), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_worker_never_sends_internal_notes_to_the_model()
    {
        var time = stack.Clock();
        var chat = new FakeChatClient(Triage);
        using var worker = stack.Worker(time, chat);
        await DrainAsync(worker);
        var ticket = await stack.InsertTicketAsync("Refund please", "I was charged twice.", internalNote: "Known fraudster, be careful");

        Assert.Equal(1, await DrainAsync(worker));

        var prompt = chat.Requests.Single().Messages[1].Text;
        Assert.Contains("I was charged twice.", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("fraudster", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_first_bad_field()
    {
        var error = Assert.Throws<CrmValidationException>(() =>
            new TicketTriageWorker(new TicketTriageWorkerOptions { Url = stack.Server.Url, ServiceRoleKey = stack.Server.ServiceRoleKey, BatchSize = 0 }, new FakeChatClient("{}")));
        Assert.Equal("batch_size", error.Field);
    }

    private static async Task<int> DrainAsync(TicketTriageWorker worker)
    {
        var total = 0;
        int leased;
        while ((leased = await worker.ProcessDueAsync(Ct)) > 0)
        {
            total += leased;
        }

        return total;
    }
}

/// <summary>A DevStack of its own for the triage worker, with a customer who requests the tickets the tests insert.</summary>
public sealed class TriageStack : IAsyncLifetime
{
    private DevStackServer? _server;

    public DevStackServer Server => _server ?? throw new InvalidOperationException("DevStack not started");

    public CrmClient Service { get; private set; } = null!;

    private Guid Customer { get; set; }

    private string ConnectionString => CrmDataGenerator.ConnectionStringFrom(Server.AdminDatabaseUrl);

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _server = await DevStackServer.StartAsync(new DevStackOptions { Seed = false, EnforceAuthRateLimits = false }, ct);
        Service = new CrmClient(new CrmClientOptions { Url = Server.Url, ApiKey = Server.ServiceRoleKey });
        var user = await Service.Auth.Admin.CreateUserAsync(
            new AdminUserAttributes { Email = $"triage-{Guid.NewGuid():N}@it.test", Password = "it-password-1", EmailConfirm = true }, ct);
        Customer = user.Id;
    }

    public async ValueTask DisposeAsync()
    {
        Service?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A fake clock a little ahead of the database's, so that jobs queued by the database's clock are due.</summary>
    public FakeTimeProvider Clock() => new(DateTimeOffset.UtcNow.AddMinutes(1));

    public TicketTriageWorker Worker(TimeProvider time, FakeChatClient chat, int batchSize = 10, int maxAttempts = 5) =>
        new(new TicketTriageWorkerOptions
        {
            Url = Server.Url,
            ServiceRoleKey = Server.ServiceRoleKey,
            TimeProvider = time,
            BatchSize = batchSize,
            MaxAttempts = maxAttempts,
        }, chat);

    /// <summary>Inserts a ticket with the customer's first message (and an internal note), as the platform superuser.</summary>
    public async Task<Guid> InsertTicketAsync(string subject, string body, string? internalNote = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var id = Guid.NewGuid();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            insert into public.tickets (id, subject, requester_id) values (@id, @subject, @customer);
            insert into public.ticket_messages (ticket_id, author_id, body) values (@id, @customer, @body);
            insert into public.ticket_messages (ticket_id, author_id, body, visibility)
              select @id, null, @note, 'internal' where @note is not null;
            """, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("subject", subject);
        command.Parameters.AddWithValue("customer", Customer);
        command.Parameters.AddWithValue("body", body);
        command.Parameters.Add(new NpgsqlParameter("note", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)internalNote ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(ct);
        return id;
    }

    public async Task<List<int>> TriagedEventCountsAsync(IReadOnlyList<Guid> tickets)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            select (select count(*)::int from public.ticket_events e where e.ticket_id = t.id and e.kind = 'ai_triaged')
              from unnest(@tickets) with ordinality t(id, i) order by t.i
            """, connection);
        command.Parameters.AddWithValue("tickets", tickets.ToArray());
        var counts = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            counts.Add(reader.GetInt32(0));
        }

        return counts;
    }

    public async Task<string?> LastErrorAsync(Guid ticket)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("select last_error from autocrm_private.ai_triage_jobs where ticket_id = @ticket", connection);
        command.Parameters.AddWithValue("ticket", ticket);
        return await command.ExecuteScalarAsync(ct) as string;
    }
}
