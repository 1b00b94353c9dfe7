using System.Text.Json;
using System.Text.Json.Nodes;
using AutoCrm.Sdk.Internal;
using AutoCrm.Sdk.Rest;
using AutoCrm.Sdk.Tests.Infrastructure;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class RestQueryContractTests : IDisposable
{
    private readonly Stub _stub = new();
    private readonly CrmClient _crm;

    public RestQueryContractTests() => _crm = _stub.Client();

    public void Dispose()
    {
        _crm.Dispose();
        _stub.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Select_sends_GET_with_filters_order_range_and_read_headers()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 200, "[" + Json.Ticket() + "]");

        var rows = await _crm.Rest.From("tickets")
            .Select("id, subject, conversation_history:ticket_messages(*)")
            .Eq("status", TicketStatus.OnHold)
            .Gte("created_at", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero))
            .Order("created_at", descending: true, nullsFirst: false)
            .Order("id")
            .Range(20, 29)
            .ToListAsync(CrmJsonContext.Default.Ticket, Ct);

        Assert.Single(rows);
        var request = _stub.Single();
        Assert.Equal("GET", request.Method);
        Assert.Equal("/rest/v1/tickets", request.Path);
        Assert.Equal(
            "select=id,subject,conversation_history:ticket_messages(*)&status=eq.on_hold&created_at=gte.2026-01-02T03:04:05.000000+00:00&order=created_at.desc.nullslast,id.asc&limit=10&offset=20",
            request.Query);
        Assert.Equal(Stub.ApiKey, request.Header("apikey"));
        Assert.Equal("Bearer " + Stub.ApiKey, request.Header("Authorization"));
        Assert.Equal("application/json", request.Header("Accept"));
        Assert.Equal("public", request.Header("Accept-Profile"));
        Assert.Null(request.Header("Content-Profile"));
        Assert.Null(request.Header("Prefer"));
    }

    [Fact]
    public void In_quotes_values_with_reserved_characters_and_escapes_quotes()
    {
        var query = _crm.Rest.From("people").In("name", ["Hebdon,John", "a b", "plain", "say \"hi\"", "back\\slash", "x.y", "", " lead"]);

        Assert.Equal(
            """GET rest/v1/people?select=*&name=in.(%22Hebdon,John%22,a%20b,plain,%22say%20%5C%22hi%5C%22%22,%22back%5C%5Cslash%22,%22x.y%22,%22%22,%22%20lead%22)""",
            query.ToString());
    }

    [Fact]
    public async Task In_list_arrives_decoded_as_PostgREST_expects()
    {
        _stub.Reply("GET", "/rest/v1/people", 200, "[]");

        await _crm.Rest.From("people").In("name", ["Hebdon,John", "it's (ok)"]).ExecuteAsync(Ct);

        Assert.Equal("select=*&name=in.(\"Hebdon,John\",\"it's (ok)\")", _stub.Single().Query);
    }

    [Fact]
    public void Logic_trees_nest_negate_and_quote_values()
    {
        var query = _crm.Rest.From("tickets")
            .Or(
                RestFilter.Eq("priority", TicketPriority.Urgent),
                RestFilter.And(RestFilter.Eq("status", "new"), RestFilter.Is("assignee_id", null)),
                RestFilter.Not(RestFilter.ILike("subject", "*a,b*")),
                RestFilter.In("id", [1, 2]))
            .Not(RestFilter.Or(RestFilter.Eq("a", 1), RestFilter.Raw("b.gt.2")))
            .Not(RestFilter.In("status", [TicketStatus.Closed, TicketStatus.Solved]));

        var text = Uri.UnescapeDataString(query.ToString());
        Assert.Equal(
            "GET rest/v1/tickets?select=*&or=(priority.eq.urgent,and(status.eq.new,assignee_id.is.null),subject.not.ilike.\"*a,b*\",id.in.(1,2))&not.or=(a.eq.1,b.gt.2)&status=not.in.(closed,solved)",
            text);
    }

    [Fact]
    public void Every_operator_of_the_grammar_is_spelled_as_PostgREST_reads_it()
    {
        var query = _crm.Rest.From("t")
            .Neq("a", 1).Gt("b", 2.5m).Lt("c", 3).Lte("d", 4).Like("e", "x*").ILike("f", "%y%")
            .Match("g", "^a").IMatch("h", "b$").Is("i", true).IsDistinct("j", "k")
            .Contains("tags", ["a", "b c"]).ContainedBy("tags", ["x"]).Overlaps("tags", ["y", "z"])
            .Contains("metadata", (JsonNode)new JsonObject { ["plan"] = "pro" })
            .Where(RestFilter.StrictlyLeft("r", "[1,5)")).Where(RestFilter.StrictlyRight("r", "[1,5)"))
            .Where(RestFilter.NotExtendRight("r", "[1,5)")).Where(RestFilter.NotExtendLeft("r", "[1,5)"))
            .Where(RestFilter.Adjacent("r", "[1,5)"))
            .TextSearch("doc", "cat dog", TextSearchType.WebSearch, "english")
            .TextSearch("doc", "cat & dog", TextSearchType.Query)
            .Where(RestFilter.Any("name", "like", ["O*", "*n"]))
            .Where(RestFilter.All("n", "gt", [1, 2]))
            .Filter("data->>kind", "eq", "x")
            .Limit(5);

        Assert.Equal(
            "GET rest/v1/t?select=*&a=neq.1&b=gt.2.5&c=lt.3&d=lte.4&e=like.x*&f=ilike.%y%&g=match.^a&h=imatch.b$&i=is.true&j=isdistinct.k"
            + "&tags=cs.{a,\"b c\"}&tags=cd.{x}&tags=ov.{y,z}&metadata=cs.{\"plan\":\"pro\"}&r=sl.[1,5)&r=sr.[1,5)&r=nxr.[1,5)&r=nxl.[1,5)&r=adj.[1,5)"
            + "&doc=wfts(english).cat dog&doc=fts.cat & dog&name=like(any).{O*,*n}&n=gt(all).{1,2}&data->>kind=eq.x&limit=5",
            Uri.UnescapeDataString(query.ToString()));
    }

    [Fact]
    public void Queries_are_immutable_values()
    {
        var baseQuery = _crm.Rest.From("tickets").Eq("status", "open");
        var a = baseQuery.Limit(1);
        var b = baseQuery.Order("id");

        Assert.Equal("GET rest/v1/tickets?select=*&status=eq.open", baseQuery.ToString());
        Assert.EndsWith("&limit=1", a.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("&order=id.asc", b.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Count_reads_the_total_from_Content_Range()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 206, "[" + Json.Ticket() + "]", ("Content-Range", "0-0/42"));

        var result = await _crm.Rest.From("tickets").Count().Limit(1).ToResultAsync(CrmJsonContext.Default.Ticket, Ct);

        Assert.Equal(42, result.TotalCount);
        Assert.Equal(206, result.Status);
        Assert.Equal("count=exact", _stub.Single().Header("Prefer"));
    }

    [Fact]
    public async Task CountAsync_sends_HEAD_with_the_count_preference()
    {
        _stub.Reply("HEAD", "/rest/v1/tickets", 200, null, ("Content-Range", "*/7"));

        var count = await _crm.Rest.From("tickets").Eq("status", "new").CountAsync(RestCount.Planned, Ct);

        Assert.Equal(7, count);
        var request = _stub.Single();
        Assert.Equal("HEAD", request.Method);
        Assert.Equal("count=planned", request.Header("Prefer"));
        Assert.Equal("select=*&status=eq.new", request.Query);
    }

    [Fact]
    public async Task SingleAsync_asks_for_the_object_media_type()
    {
        _stub.Reply("GET", "/rest/v1/tickets", 200, Json.Ticket());

        var ticket = await _crm.Rest.From("tickets").Eq("id", Json.TicketId).SingleAsync(CrmJsonContext.Default.Ticket, Ct);

        Assert.Equal(Json.TicketId, ticket.Id);
        Assert.Equal("application/vnd.pgrst.object+json", _stub.Single().Header("Accept"));
    }

    [Fact]
    public async Task MaybeSingleAsync_returns_null_for_no_rows_and_fails_for_two()
    {
        _stub.Reply("GET", "/rest/v1/none", 200, "[]");
        _stub.Reply("GET", "/rest/v1/two", 200, "[" + Json.Ticket() + "," + Json.Ticket() + "]");

        Assert.Null(await _crm.Rest.From("none").MaybeSingleAsync(CrmJsonContext.Default.Ticket, Ct));
        var error = await Assert.ThrowsAsync<CrmException>(() => _crm.Rest.From("two").MaybeSingleAsync(CrmJsonContext.Default.Ticket, Ct));
        Assert.Equal("PGRST116", error.Code);
        Assert.Equal("application/json", _stub.Requests[0].Header("Accept"));
    }

    [Fact]
    public async Task Bulk_insert_sends_columns_and_returns_representation()
    {
        _stub.Reply("POST", "/rest/v1/queues", 201, """[{"id":"33333333-3333-4333-8333-333333333333","slug":"a","name":"A"}]""");
        var rows = new JsonArray(new JsonObject { ["slug"] = "a", ["name"] = "A" }, new JsonObject { ["slug"] = "b", ["description"] = "B" });

        var result = await _crm.Rest.From("queues").Insert(rows).Select("id,slug").ToJsonAsync(Ct);

        Assert.Equal(JsonValueKind.Array, result.ValueKind);
        var request = _stub.Single();
        Assert.Equal("POST", request.Method);
        Assert.Equal("select=id,slug&columns=\"slug\",\"name\",\"description\"", request.Query);
        Assert.Equal("return=representation", request.Header("Prefer"));
        Assert.Equal("public", request.Header("Content-Profile"));
        Assert.Null(request.Header("Accept-Profile"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("""[{"slug":"a","name":"A"},{"slug":"b","description":"B"}]""", request.Body);
    }

    [Fact]
    public async Task Upsert_sends_on_conflict_and_resolution()
    {
        _stub.Reply("POST", "/rest/v1/queue_members", 201);

        await _crm.Rest.From("queue_members").Upsert(new JsonObject { ["queue_id"] = 1, ["agent_id"] = 2 }, "queue_id,agent_id").ExecuteAsync(Ct);
        await _crm.Rest.From("queue_members").Upsert(new JsonObject { ["queue_id"] = 1 }, ignoreDuplicates: true).DefaultToMissing().ExecuteAsync(Ct);

        var (merge, ignore) = (_stub.Requests[0], _stub.Requests[1]);
        Assert.Equal("on_conflict=queue_id,agent_id", merge.Query);
        Assert.Equal("resolution=merge-duplicates, return=minimal", merge.Header("Prefer"));
        Assert.Equal("", ignore.Query);
        Assert.Equal("resolution=ignore-duplicates, missing=default, return=minimal", ignore.Header("Prefer"));
    }

    [Fact]
    public async Task Update_and_delete_carry_filters_and_prefer()
    {
        _stub.Reply("PATCH", "/rest/v1/tickets", 204);
        _stub.Reply("DELETE", "/rest/v1/tickets", 204);

        await _crm.Rest.From("tickets").Eq("id", Json.TicketId).Update(new JsonObject { ["status"] = "open" }).ExecuteAsync(Ct);
        await _crm.Rest.From("tickets").Eq("id", Json.TicketId).Delete().ExecuteAsync(Ct);

        var (update, delete) = (_stub.Requests[0], _stub.Requests[1]);
        Assert.Equal("PATCH", update.Method);
        Assert.Equal($"id=eq.{Json.TicketId}", update.Query);
        Assert.Equal("""{"status":"open"}""", update.Body);
        Assert.Equal("return=minimal", update.Header("Prefer"));
        Assert.Equal("DELETE", delete.Method);
        Assert.Equal($"id=eq.{Json.TicketId}", delete.Query);
        Assert.Equal("return=minimal", delete.Header("Prefer"));
        Assert.Equal("public", delete.Header("Content-Profile"));
    }

    [Fact]
    public async Task Rpc_posts_named_arguments_and_empty_object_without_arguments()
    {
        _stub.Reply("POST", "/rest/v1/rpc/queue_stats", 200, "[]");
        _stub.Reply("POST", "/rest/v1/rpc/assign_ticket", 200, "null");

        await _crm.Rest.Rpc("queue_stats").ExecuteAsync(Ct);
        await _crm.Rest.Rpc("assign_ticket", new JsonObject { ["ticket_id"] = "t", ["agent_id"] = "a" }).ExecuteAsync(Ct);

        Assert.Equal("{}", _stub.Requests[0].Body);
        Assert.Equal("public", _stub.Requests[0].Header("Content-Profile"));
        Assert.Null(_stub.Requests[0].Header("Prefer"));
        Assert.Equal("""{"ticket_id":"t","agent_id":"a"}""", _stub.Requests[1].Body);
    }

    [Fact]
    public async Task RpcGet_puts_arguments_in_the_query_string()
    {
        _stub.Reply("GET", "/rest/v1/rpc/search", 200, "[]");

        await _crm.Rest.RpcGet("search", [new("q", "printer"), new("ids", new[] { 1, 2 })]).Order("rank").ExecuteAsync(Ct);

        var request = _stub.Single();
        Assert.Equal("GET", request.Method);
        Assert.Equal("q=printer&ids={1,2}&order=rank.asc", request.Query);
        Assert.Equal("public", request.Header("Accept-Profile"));
    }

    [Fact]
    public async Task Another_schema_is_sent_as_the_profile()
    {
        _stub.Reply("GET", "/rest/v1/items", 200, "[]");
        _stub.Reply("POST", "/rest/v1/items", 201);

        var rest = _crm.Rest.Schema("inventory");
        await rest.From("items").ExecuteAsync(Ct);
        await rest.From("items").Insert(new JsonObject { ["a"] = 1 }).ExecuteAsync(Ct);

        Assert.Equal("inventory", _stub.Requests[0].Header("Accept-Profile"));
        Assert.Equal("inventory", _stub.Requests[1].Header("Content-Profile"));
    }
}
