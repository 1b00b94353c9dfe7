using AutoCrm.Sdk.Profiles;
using AutoCrm.Sdk.Queues;
using AutoCrm.Sdk.Tests.Infrastructure;

namespace AutoCrm.Sdk.Tests.Contract;

public sealed class QueuesContractTests : IDisposable
{
    private readonly Stub _stub = new();
    private readonly CrmClient _crm;

    public QueuesContractTests() => _crm = _stub.Client();

    public void Dispose()
    {
        _crm.Dispose();
        _stub.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string QueueRow = """{"id":"33333333-3333-4333-8333-333333333333","slug":"billing","name":"Billing","description":"Money","created_at":"2026-01-01T00:00:00+00:00","updated_at":"2026-01-01T00:00:00+00:00"}""";

    [Fact]
    public async Task List_and_GetBySlug_read_queues()
    {
        _stub.Reply("GET", "/rest/v1/queues", 200, "[" + QueueRow + "]");

        var queues = await _crm.Queues.ListAsync(Ct).ToListAsync(Ct);

        Assert.Equal("billing", Assert.Single(queues).Slug);
        Assert.Equal("select=*&order=name.asc,id.asc&limit=101", _stub.Single().Query);
    }

    [Fact]
    public async Task GetBySlug_of_an_unknown_queue_names_it_in_the_not_found_error()
    {
        _stub.Reply("GET", "/rest/v1/queues", 406, """{"code":"PGRST116","message":"Cannot coerce the result to a single JSON object","details":"The result contains 0 rows","hint":null}""");

        var error = await Assert.ThrowsAsync<CrmNotFoundException>(() => _crm.Queues.GetBySlugAsync("no-such-queue", Ct));

        Assert.Equal(404, error.Status);
        Assert.Equal("not_found", error.Code);
        Assert.Equal("Queue 'no-such-queue' does not exist or is not visible to the caller.", error.Message);
        Assert.Contains("406 PGRST116", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_call_queue_stats_with_an_empty_object()
    {
        _stub.Reply("POST", "/rest/v1/rpc/queue_stats", 200,
            """[{"queue_id":"33333333-3333-4333-8333-333333333333","slug":"billing","name":"Billing","new_count":1,"open_count":4,"pending_count":0,"on_hold_count":0,"solved_count":3,"closed_count":9,"unassigned_count":2,"oldest_unassigned_at":"2026-01-01T00:00:00+00:00"}]""");

        var stats = Assert.Single(await _crm.Queues.GetStatsAsync(Ct));

        Assert.Equal(4, stats.OpenCount);
        Assert.Equal(2, stats.UnassignedCount);
        Assert.Equal("{}", _stub.Single().Body);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"id":null,"number":null,"subject":null}""")]
    public async Task ClaimNext_returns_null_when_there_is_nothing(string answer)
    {
        _stub.Reply("POST", "/rest/v1/rpc/claim_next_ticket", 200, answer);

        Assert.Null(await _crm.Queues.ClaimNextAsync(cancellationToken: Ct));
        Assert.Equal("{}", _stub.Single().Body);
    }

    [Fact]
    public async Task ClaimNext_from_one_queue_returns_the_ticket()
    {
        _stub.Reply("POST", "/rest/v1/rpc/claim_next_ticket", 200, Json.Ticket());

        var ticket = await _crm.Queues.ClaimNextAsync(Json.QueueId, Ct);

        Assert.Equal(Json.TicketId, ticket!.Id);
        var request = _stub.Single();
        Assert.Equal($$"""{"queue_id":"{{Json.QueueId}}"}""", request.Body);
        Assert.Null(request.Header("Prefer"));
    }

    [Fact]
    public async Task Release_assign_and_transfer_pass_named_arguments()
    {
        _stub.Reply("POST", "/rest/v1/rpc/release_ticket", 200, Json.Ticket());
        _stub.Reply("POST", "/rest/v1/rpc/assign_ticket", 200, "[" + Json.Ticket() + "]");
        _stub.Reply("POST", "/rest/v1/rpc/transfer_ticket", 204);
        _stub.Reply("GET", "/rest/v1/tickets", 200, Json.Ticket());

        await _crm.Queues.ReleaseAsync(Json.TicketId, Ct);
        await _crm.Queues.AssignAsync(Json.TicketId, Json.AgentId, Ct);
        var transferred = await _crm.Queues.TransferAsync(Json.TicketId, Json.QueueId, Ct);

        var requests = _stub.Requests;
        Assert.Equal($$"""{"ticket_id":"{{Json.TicketId}}"}""", requests[0].Body);
        Assert.Equal($$"""{"ticket_id":"{{Json.TicketId}}","agent_id":"{{Json.AgentId}}"}""", requests[1].Body);
        Assert.Equal($$"""{"ticket_id":"{{Json.TicketId}}","queue_id":"{{Json.QueueId}}"}""", requests[2].Body);
        Assert.Equal($"select=*,sla:ticket_sla&id=eq.{Json.TicketId}", requests[3].Query);
        Assert.Equal(Json.TicketId, transferred.Id);
    }

    [Fact]
    public async Task Membership_and_roles_for_admins()
    {
        _stub.Reply("GET", "/rest/v1/queue_members", 200, $$"""[{"queue_id":"{{Json.QueueId}}","agent_id":"{{Json.AgentId}}","created_at":"2026-01-01T00:00:00+00:00"}]""");
        _stub.Reply("POST", "/rest/v1/queue_members", 201);
        _stub.Reply("DELETE", "/rest/v1/queue_members", 204);
        _stub.Reply("POST", "/rest/v1/rpc/set_user_role", 200, $$"""{"id":"{{Json.AgentId}}","email":"a@b.c","display_name":"A","role":"agent","metadata":{}""" + "}");

        Assert.Single(await _crm.Queues.ListMembersAsync(Json.QueueId, Ct).ToListAsync(Ct));
        await _crm.Queues.AddMemberAsync(Json.QueueId, Json.AgentId, Ct);
        await _crm.Queues.RemoveMemberAsync(Json.QueueId, Json.AgentId, Ct);
        await _crm.Profiles.SetRoleAsync(Json.AgentId, UserRole.Agent, Ct);

        var r = _stub.Requests;
        Assert.Equal($"select=*&queue_id=eq.{Json.QueueId}&order=created_at.asc,agent_id.asc&limit=101", r[0].Query);
        Assert.Equal("on_conflict=queue_id,agent_id", r[1].Query);
        Assert.Equal("resolution=ignore-duplicates, return=minimal", r[1].Header("Prefer"));
        Assert.Equal($$"""{"queue_id":"{{Json.QueueId}}","agent_id":"{{Json.AgentId}}"}""", r[1].Body);
        Assert.Equal($"queue_id=eq.{Json.QueueId}&agent_id=eq.{Json.AgentId}", r[2].Query);
        Assert.Equal($$"""{"user_id":"{{Json.AgentId}}","role":"agent"}""", r[3].Body);
    }

    [Fact]
    public async Task Create_queue_and_profiles()
    {
        _stub.Reply("POST", "/rest/v1/queues", 201, QueueRow);
        _stub.Reply("GET", "/rest/v1/profiles", 200, $$"""[{"id":"{{Json.AgentId}}","email":"agent.alice@autocrm.demo","display_name":"Alice","role":"agent","metadata":{},"created_at":"2026-01-01T00:00:00+00:00","updated_at":"2026-01-01T00:00:00+00:00"}]""");

        var queue = await _crm.Queues.CreateAsync(new NewQueue { Slug = "billing", Name = "Billing" }, Ct);
        var agents = await _crm.Profiles.ListAsync(UserRole.Agent, Ct).ToListAsync(Ct);

        Assert.Equal("billing", queue.Slug);
        Assert.Equal(UserRole.Agent, Assert.Single(agents).Role);
        var (create, profiles) = (_stub.Requests[0], _stub.Requests[1]);
        Assert.Equal("""{"slug":"billing","name":"Billing"}""", create.Body);
        Assert.Equal("application/vnd.pgrst.object+json", create.Header("Accept"));
        Assert.Equal("return=representation", create.Header("Prefer"));
        Assert.Equal("select=*&role=eq.agent&order=created_at.asc,id.asc&limit=101", profiles.Query);
    }
}
