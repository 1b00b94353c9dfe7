using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AutoCrm.Sdk.Tests.Infrastructure;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed record OrderInfo(string Plan, int Seats);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(OrderInfo))]
[JsonSerializable(typeof(int))]
public sealed partial class TestJsonContext : JsonSerializerContext;

public sealed class TicketsContractTests : IDisposable
{
    private readonly Stub _stub = new();
    private readonly CrmClient _crm;

    public TicketsContractTests() => _crm = _stub.Client();

    public void Dispose()
    {
        _crm.Dispose();
        _stub.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_inserts_with_a_client_uuid7_and_ignore_duplicates()
    {
        _stub.Reply("POST", "/rest/v1/tickets", 201, "[" + Json.Ticket() + "]");

        var ticket = await _crm.Tickets.CreateAsync(
            new NewTicket { Subject = "Printer on fire", Priority = TicketPriority.Urgent, QueueId = Json.QueueId, Tags = ["hardware"], Metadata = CrmMetadata.Parse("""{"plan":"pro"}""") }, Ct);

        Assert.Equal("Printer on fire", ticket.Subject);
        var request = _stub.Single();
        Assert.Equal("POST", request.Method);
        Assert.Equal("", request.Query);
        Assert.Equal("resolution=ignore-duplicates, return=representation", request.Header("Prefer"));
        Assert.Equal("public", request.Header("Content-Profile"));
        var body = JsonNode.Parse(request.Body!)!.AsObject();
        var id = Guid.Parse(body["id"]!.GetValue<string>());
        Assert.Equal(7, id.ToString("D")[14] - '0');
        Assert.Equal(
            $$"""{"id":"{{id}}","subject":"Printer on fire","priority":"urgent","queue_id":"{{Json.QueueId}}","tags":["hardware"],"metadata":{"plan":"pro"}""" + "}",
            request.Body);
    }

    [Fact]
    public async Task Create_with_a_client_id_status_assignee_and_creation_time_sends_them_as_given()
    {
        _stub.Reply("POST", "/rest/v1/tickets", 201, "[" + Json.Ticket() + "]");
        var id = Guid.Parse("8f0c1e2d-3a4b-8c5d-9e6f-708192a3b4c5");

        await _crm.Tickets.CreateAsync(
            new NewTicket { Id = id, Subject = "Imported", Status = TicketStatus.OnHold, AssigneeId = Json.UserId, CreatedAt = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero) }, Ct);

        Assert.Equal(
            $$"""{"id":"{{id}}","subject":"Imported","status":"on_hold","assignee_id":"{{Json.UserId}}","created_at":"2025-03-04T05:06:07+00:00"}""",
            _stub.Single().Body);
    }

    [Fact]
    public async Task Create_refuses_the_empty_guid_as_an_id_without_a_request()
    {
        Assert.Equal("id", (await Assert.ThrowsAsync<CrmValidationException>(() => _crm.Tickets.CreateAsync(new NewTicket { Id = Guid.Empty, Subject = "S" }, Ct))).Field);
        Assert.Empty(_stub.Requests);
    }

    [Fact]
    public async Task The_description_message_id_is_derived_from_the_ticket_id()
    {
        _stub.Reply("POST", "/rest/v1/tickets", 201, "[" + Json.Ticket() + "]");
        _stub.Reply("POST", "/rest/v1/ticket_messages", 201, "[" + Json.Message() + "]");
        _stub.Reply("POST", "/rest/v1/tickets", 201, "[" + Json.Ticket() + "]");
        _stub.Reply("POST", "/rest/v1/ticket_messages", 201, "[" + Json.Message() + "]");

        await _crm.Tickets.CreateAsync(new NewTicket { Id = Json.TicketId, Subject = "S", Description = "Once." }, Ct);
        await _crm.Tickets.CreateAsync(new NewTicket { Id = Json.TicketId, Subject = "S", Description = "Once." }, Ct);

        var first = JsonNode.Parse(_stub.Requests[1].Body!)!["id"]!.GetValue<string>();
        var second = JsonNode.Parse(_stub.Requests[3].Body!)!["id"]!.GetValue<string>();
        Assert.Equal(first, second);
        Assert.Equal(8, first[14] - '0');
        Assert.NotEqual(Json.TicketId.ToString(), first);
    }

    [Fact]
    public async Task Create_reads_the_row_when_a_retried_insert_was_a_duplicate()
    {
        _stub.Reply("POST", "/rest/v1/tickets", 201, "[]");
        _stub.Reply("GET", "/rest/v1/tickets", 200, Json.Ticket());

        var ticket = await _crm.Tickets.CreateAsync(new NewTicket { Subject = "Again" }, Ct);

        Assert.Equal(Json.TicketId, ticket.Id);
        var (insert, read) = (_stub.Requests[0], _stub.Requests[1]);
        var id = JsonNode.Parse(insert.Body!)!["id"]!.GetValue<string>();
        Assert.Equal($"select=*,sla:ticket_sla&id=eq.{id}", read.Query);
        Assert.Equal("application/vnd.pgrst.object+json", read.Header("Accept"));
    }

    [Fact]
    public async Task Create_with_typed_metadata_serializes_it_through_the_callers_context()
    {
        _stub.Reply("POST", "/rest/v1/tickets", 201, "[" + Json.Ticket() + "]");

        var ticket = await _crm.Tickets.CreateAsync(new NewTicket { Subject = "S" }, new OrderInfo("pro", 5), TestJsonContext.Default.OrderInfo, Ct);

        Assert.Contains("\"metadata\":{\"plan\":\"pro\",\"seats\":5}", _stub.Single().Body, StringComparison.Ordinal);
        Assert.Equal(new OrderInfo("pro", 5), ticket.GetMetadata(TestJsonContext.Default.OrderInfo));
    }

    [Fact]
    public async Task Create_with_a_description_adds_the_first_public_message()
    {
        _stub.Reply("POST", "/rest/v1/tickets", 201, "[" + Json.Ticket() + "]");
        _stub.Reply("POST", "/rest/v1/ticket_messages", 201, "[" + Json.Message() + "]");

        await _crm.Tickets.CreateAsync(new NewTicket { Subject = "S", Description = "It smokes." }, Ct);

        var message = _stub.Requests[1];
        Assert.Equal("resolution=ignore-duplicates, return=representation", message.Header("Prefer"));
        var body = JsonNode.Parse(message.Body!)!.AsObject();
        Assert.Equal(Json.TicketId.ToString(), body["ticket_id"]!.GetValue<string>());
        Assert.Equal("public", body["visibility"]!.GetValue<string>());
        Assert.Equal("It smokes.", body["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_maps_every_column_and_embeds_conversation_and_events_in_order()
    {
        var extra = $$""","conversation_history":[{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a62","ticket_id":"{{Json.TicketId}}","author_id":null,"visibility":"internal","body":"second","metadata":{},"created_at":"2026-01-01T10:02:00+00:00"},{{Json.Message()}}],"events":[{"id":9,"ticket_id":"{{Json.TicketId}}","actor_id":null,"kind":"updated","changes":{"status":["new","open"]},"created_at":"2026-01-01T10:03:00+00:00"},{"id":3,"ticket_id":"{{Json.TicketId}}","actor_id":"{{Json.UserId}}","kind":"created","changes":{},"created_at":"2026-01-01T10:00:00+00:00"}]""";
        _stub.Reply("GET", "/rest/v1/tickets", 200, Json.Ticket(status: "on_hold", extra: extra));

        var ticket = await _crm.Tickets.GetAsync(Json.TicketId, TicketInclude.Conversation | TicketInclude.Events, Ct);

        Assert.Equal($"select=*,sla:ticket_sla,conversation_history:ticket_messages(*),events:ticket_events(*)&id=eq.{Json.TicketId}", _stub.Single().Query);
        Assert.Equal(42, ticket.Number);
        Assert.Equal(TicketStatus.OnHold, ticket.Status);
        Assert.Equal(TicketPriority.Urgent, ticket.Priority);
        Assert.Equal(Json.UserId, ticket.RequesterId);
        Assert.Null(ticket.AssigneeId);
        Assert.Equal(Json.QueueId, ticket.QueueId);
        Assert.Equal(["hardware", "fire"], ticket.Tags);
        Assert.Equal("pro", ticket.Metadata["plan"]?.GetString());
        Assert.Equal(1, ticket.Version);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(1234560), ticket.CreatedAt);
        Assert.Null(ticket.SolvedAt);
        Assert.Equal(["Hello", "second"], ticket.ConversationHistory!.Select(m => m.Body));
        Assert.Equal(MessageVisibility.Internal, ticket.ConversationHistory![1].Visibility);
        Assert.Equal([3L, 9L], ticket.Events!.Select(e => e.Id));
        Assert.Equal("open", ticket.Events![1].Changes["status"].New.GetString());
    }

    [Fact]
    public async Task GetByNumber_filters_on_number()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 200, Json.Ticket());

        await _crm.Tickets.GetByNumberAsync(42, TicketInclude.Conversation, Ct);

        Assert.Equal("select=*,sla:ticket_sla,conversation_history:ticket_messages(*)&number=eq.42", _stub.Single().Query);
    }

    [Fact]
    public async Task List_pages_by_keyset_never_by_offset()
    {
        var first = "[" + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000001")) + "," + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000002"), created: "2026-01-01T11:00:00.5+00:00")
            + "," + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000003")) + "]";
        _stub.Reply("GET", "/rest/v1/tickets", 200, first);
        var query = new TicketQuery
        {
            Statuses = [TicketStatus.New, TicketStatus.OnHold],
            Priorities = [TicketPriority.Urgent],
            QueueId = Json.QueueId,
            Unassigned = true,
            RequesterId = Json.UserId,
            TagsAny = ["a", "b"],
            TagsAll = ["c"],
            MetadataContains = CrmMetadata.Parse("""{"plan":"pro"}"""),
            CreatedFrom = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            UpdatedTo = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero),
            SubjectContains = "print",
            Sort = TicketSort.Created,
            Descending = true,
            PageSize = 2,
        };

        var pages = new List<CrmPage<Ticket>>();
        await foreach (var page in _crm.Tickets.ListAsync(query, Ct).AsPages().WithCancellation(Ct))
        {
            pages.Add(page);
            if (pages.Count == 2)
            {
                break;
            }
        }

        var filters = $"status=in.(new,on_hold)&priority=in.(urgent)&queue_id=eq.{Json.QueueId}&assignee_id=is.null&requester_id=eq.{Json.UserId}"
            + "&tags=ov.{a,b}&tags=cs.{c}&metadata=cs.{\"plan\":\"pro\"}&created_at=gte.2026-01-01T00:00:00.000000+00:00"
            + "&updated_at=lt.2026-02-01T00:00:00.000000+00:00&subject=ilike.*print*";
        var requests = _stub.Requests;
        Assert.Equal("select=*,sla:ticket_sla&" + filters + "&order=created_at.desc,id.desc&limit=3", requests[0].Query);
        Assert.Equal(
            "select=*,sla:ticket_sla&" + filters + "&created_at=lte.2026-01-01T11:00:00.500000+00:00"
            + "&or=(created_at.lt.\"2026-01-01T11:00:00.500000+00:00\",and(created_at.eq.\"2026-01-01T11:00:00.500000+00:00\",id.lt.0190a1b2-c3d4-7e5f-8a9b-000000000002))&order=created_at.desc,id.desc&limit=3",
            requests[1].Query);
        Assert.DoesNotContain(requests, r => r.Query.Contains("offset", StringComparison.Ordinal));
        Assert.NotNull(pages[0].ContinuationToken);
        Assert.Equal(2, pages[0].Items.Count);
    }

    [Fact]
    public async Task A_full_last_page_carries_no_continuation_token()
    {
        // Four tickets, pages of two: the second request finds no third row, so "load more" is never offered in vain.
        _stub.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/rest/v1/tickets").WithParam("or").UsingGet())
            .AtPriority(1)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("[" + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000003")) + "," + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000004")) + "]"));
        _stub.Server.Given(WireMock.RequestBuilders.Request.Create().WithPath("/rest/v1/tickets").UsingGet())
            .AtPriority(2)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody("[" + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000001")) + "," + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000002"))
                    + "," + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000003")) + "]"));

        var pages = await _crm.Tickets.ListAsync(new TicketQuery { PageSize = 2 }, Ct).AsPages().ToListAsync(Ct);

        Assert.Equal([2, 2], pages.Select(p => p.Items.Count));
        Assert.NotNull(pages[0].ContinuationToken);
        Assert.Null(pages[1].ContinuationToken);
    }

    [Fact]
    public async Task A_continuation_token_only_continues_its_own_listing()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[" + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000001")) + "," + Json.Ticket() + "]");
        var byCreation = new TicketQuery { PageSize = 1 };
        var token = (await _crm.Tickets.ListAsync(byCreation, Ct).AsPages().FirstAsync(Ct)).ContinuationToken!;

        var error = Assert.Throws<CrmValidationException>(() => _crm.Tickets.ListAsync(byCreation with { Sort = TicketSort.Priority }, Ct).AsPages(token));
        Assert.Equal("invalid_continuation_token", error.Code);
        Assert.Throws<CrmValidationException>(() => _crm.Tickets.ListAsync(byCreation with { Statuses = [TicketStatus.Open] }, Ct).AsPages(token));
        Assert.NotNull(_crm.Tickets.ListAsync(byCreation with { PageSize = 50 }, Ct).AsPages(token));
    }

    [Fact]
    public async Task AsPages_resumes_from_a_continuation_token_and_ends_on_a_short_page()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[" + Json.Ticket() + "," + Json.Ticket(Guid.Parse("0190a1b2-c3d4-7e5f-8a9b-000000000009")) + "]");
        var query = new TicketQuery { PageSize = 1, Sort = TicketSort.Priority };
        string? token = null;
        await foreach (var page in _crm.Tickets.ListAsync(query, Ct).AsPages().WithCancellation(Ct))
        {
            token = page.ContinuationToken;
            break;
        }

        _stub.Server.ResetMappings();
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[]");
        var resumed = new List<CrmPage<Ticket>>();
        await foreach (var page in _crm.Tickets.ListAsync(query, Ct).AsPages(token).WithCancellation(Ct))
        {
            resumed.Add(page);
        }

        Assert.Single(resumed);
        Assert.Null(resumed[0].ContinuationToken);

        // A priority has many ties: the rest of the cursor's priority by id, then the priorities after it.
        var requests = _stub.Requests;
        Assert.Equal($"select=*,sla:ticket_sla&priority=eq.urgent&id=gt.{Json.TicketId}&order=id.asc&limit=2", requests[^2].Query);
        Assert.Equal("select=*,sla:ticket_sla&priority=gt.urgent&order=priority.asc,id.asc&limit=2", requests[^1].Query);
    }

    [Fact]
    public void A_foreign_continuation_token_is_refused()
    {
        Assert.Equal("invalid_continuation_token", Assert.Throws<CrmValidationException>(() => _crm.Tickets.ListAsync(cancellationToken: Ct).AsPages("not-a-token")).Code);
    }

    [Fact]
    public async Task Update_sends_only_the_fields_set_and_guards_the_version()
    {
        _stub.Reply("PATCH", "/rest/v1/tickets", 200, "[" + Json.Ticket(version: 4) + "]");

        var ticket = await _crm.Tickets.UpdateAsync(Json.TicketId, new TicketPatch { Status = TicketStatus.Pending, AssigneeId = null, Tags = ["x"] }, expectedVersion: 3, Ct);

        Assert.Equal(4, ticket.Version);
        var request = _stub.Single();
        Assert.Equal("PATCH", request.Method);
        Assert.Equal($"id=eq.{Json.TicketId}&version=eq.3", request.Query);
        Assert.Equal("""{"status":"pending","assignee_id":null,"tags":["x"]}""", request.Body);
        Assert.Equal("return=representation", request.Header("Prefer"));
    }

    [Fact]
    public async Task Update_with_a_stale_version_is_a_conflict()
    {
        _stub.Reply("PATCH", "/rest/v1/tickets", 200, "[]");
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[" + Json.Ticket(version: 7) + "]");

        var error = await Assert.ThrowsAsync<CrmConflictException>(() => _crm.Tickets.UpdateAsync(Json.TicketId, new TicketPatch { Subject = "New" }, 3, Ct));

        Assert.Equal("version_mismatch", error.Code);
    }

    [Fact]
    public async Task Update_of_an_invisible_ticket_is_not_found()
    {
        _stub.Reply("PATCH", "/rest/v1/tickets", 200, "[]");
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[]");

        await Assert.ThrowsAsync<CrmNotFoundException>(() => _crm.Tickets.UpdateAsync(Json.TicketId, new TicketPatch { Subject = "New" }, cancellationToken: Ct));
    }

    [Fact]
    public async Task Update_that_already_committed_on_an_earlier_attempt_returns_the_ticket()
    {
        _stub.Reply("PATCH", "/rest/v1/tickets", 200, "[]");
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[" + Json.Ticket(version: 4, status: "open") + "]");

        var ticket = await _crm.Tickets.UpdateAsync(Json.TicketId, new TicketPatch { Status = TicketStatus.Open }, 3, Ct);

        Assert.Equal(4, ticket.Version);
    }

    [Fact]
    public async Task Reply_and_internal_note_insert_messages_idempotently()
    {
        _stub.Reply("POST", "/rest/v1/ticket_messages", 201, "[" + Json.Message() + "]");

        await _crm.Tickets.ReplyAsync(Json.TicketId, "Hello", cancellationToken: Ct);
        await _crm.Tickets.AddInternalNoteAsync(Json.TicketId, "Between us", CrmMetadata.Parse("""{"source":"phone"}"""), Ct);

        var (reply, note) = (JsonNode.Parse(_stub.Requests[0].Body!)!, JsonNode.Parse(_stub.Requests[1].Body!)!);
        Assert.Equal("public", reply["visibility"]!.GetValue<string>());
        Assert.Equal("internal", note["visibility"]!.GetValue<string>());
        Assert.Equal("phone", note["metadata"]!["source"]!.GetValue<string>());
        Assert.Null(reply["author_id"]);
        Assert.All(_stub.Requests, r => Assert.Equal("resolution=ignore-duplicates, return=representation", r.Header("Prefer")));
    }

    [Fact]
    public async Task Conversation_and_history_are_read_in_order()
    {
        _stub.Reply("GET", "/rest/v1/ticket_messages", 200, "[" + Json.Message() + "]");
        _stub.Reply("GET", "/rest/v1/ticket_events", 200, "[]");

        Assert.Single(await _crm.Tickets.ListMessagesAsync(Json.TicketId, Ct).ToListAsync(Ct));
        Assert.Empty(await _crm.Tickets.ListEventsAsync(Json.TicketId, Ct).ToListAsync(Ct));

        Assert.Equal($"select=*&ticket_id=eq.{Json.TicketId}&order=created_at.asc,id.asc&limit=101", _stub.Requests[0].Query);
        Assert.Equal($"select=*&ticket_id=eq.{Json.TicketId}&order=id.asc&limit=101", _stub.Requests[1].Query);
        Assert.Equal("count=exact", _stub.Requests[0].Header("Prefer"));
    }

    [Fact]
    public async Task Delete_returns_the_deleted_id_or_reports_not_found()
    {
        _stub.Reply("DELETE", "/rest/v1/tickets", 200, $$"""[{"id":"{{Json.TicketId}}"}]""");
        await _crm.Tickets.DeleteAsync(Json.TicketId, Ct);
        var request = _stub.Single();
        Assert.Equal($"select=id&id=eq.{Json.TicketId}", request.Query);
        Assert.Equal("return=representation", request.Header("Prefer"));

        _stub.Server.ResetMappings();
        _stub.Reply("DELETE", "/rest/v1/tickets", 200, "[]");
        await Assert.ThrowsAsync<CrmNotFoundException>(() => _crm.Tickets.DeleteAsync(Json.TicketId, Ct));
    }

    [Fact]
    public void Metadata_helpers_round_trip_typed_values()
    {
        var json = CrmMetadata.From(new OrderInfo("team", 9), TestJsonContext.Default.OrderInfo);

        Assert.Equal("""{"plan":"team","seats":9}""", json.ToString());
        Assert.Equal(new OrderInfo("team", 9), json.As(TestJsonContext.Default.OrderInfo));
        Assert.Throws<CrmValidationException>(() => CrmMetadata.From(3, TestJsonContext.Default.Int32));
    }
}
