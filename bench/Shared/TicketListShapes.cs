using AutoCrm.Sdk;
using AutoCrm.Sdk.Tickets;

namespace AutoCrm.Scale;

/// <summary>Who sends a list: the generated admin, an agent of the busiest queue, the customer with the most tickets, a typical customer.</summary>
internal enum ShapeRole
{
    Admin,
    Agent,
    HeavyCustomer,
    TypicalCustomer,
}

/// <summary>Ids a shape refers to, taken from the generated data set.</summary>
internal sealed record ShapeFacts(Guid BusyQueue, Guid AgentId, Guid HeavyCustomerId, Guid TypicalCustomerId, DateTimeOffset End);

/// <summary>
/// A keyset page deep in a listing: the cursor is a row of <paramref name="Sql"/> (a query over <c>public.tickets</c> in
/// the listing's order, <c>$1</c> = the busiest queue), read directly from the database, <paramref name="OffsetAtOneMillion"/>
/// rows in at 10⁶ tickets and proportionally fewer in a smaller data set.
/// </summary>
internal sealed record DeepCursor(string Sql, int OffsetAtOneMillion)
{
    public string Query(int tickets) => $"{Sql} offset {(long)OffsetAtOneMillion * tickets / 1_000_000} limit 1";
}

/// <summary>
/// A ticket list a real caller sends through <c>crm.Tickets.ListAsync</c>: the shapes, the web host's pages, the
/// console tool's commands and the SDK's filter and sort options. Shared by the scale benchmark (which times them at
/// 10⁶ tickets) and the plan tests (which pin each to an index at 10⁵). <paramref name="Gap"/> names shapes no index can
/// serve for API callers, with the reason; they are benchmarked, not pinned.
/// </summary>
internal sealed record TicketListShape(string Name, ShapeRole Role, string Source, Func<ShapeFacts, TicketQuery> Query, DeepCursor? Deep = null, string? Gap = null);

internal static class TicketListShapes
{
    private static readonly TicketStatus[] NewOpen = [TicketStatus.New, TicketStatus.Open];
    private static readonly TicketStatus[] Active = [TicketStatus.New, TicketStatus.Open, TicketStatus.Pending, TicketStatus.OnHold];

    public static IReadOnlyList<TicketListShape> All { get; } =
    [
        new("agent inbox: one queue, new/open, newest first", ShapeRole.Agent, "issue",
            f => new TicketQuery { QueueId = f.BusyQueue, Statuses = NewOpen, Descending = true, PageSize = 50 }),
        new("the same, keyset page 100 (5,000 rows deep)", ShapeRole.Agent, "issue",
            f => new TicketQuery { QueueId = f.BusyQueue, Statuses = NewOpen, Descending = true, PageSize = 50 },
            new DeepCursor("select created_at, id from public.tickets where queue_id = $1 and status in ('new', 'open') order by created_at desc, id desc", 4_999)),
        new("agent: all visible new/open, newest first", ShapeRole.Agent, "issue",
            _ => new TicketQuery { Statuses = NewOpen, Descending = true, PageSize = 50 }),
        new("customer: my tickets, newest first", ShapeRole.HeavyCustomer, "issue",
            f => new TicketQuery { RequesterId = f.HeavyCustomerId, Descending = true, PageSize = 50 }),
        new("admin: metadata contains {channel: email, plan: pro}", ShapeRole.Admin, "issue",
            _ => new TicketQuery { MetadataContains = CrmMetadata.Parse("""{"channel":"email","plan":"pro"}"""), Descending = true, PageSize = 50 }),
        new("agent: tags overlap {refund} + open", ShapeRole.Agent, "issue",
            _ => new TicketQuery { TagsAny = ["refund"], Statuses = [TicketStatus.Open], Descending = true, PageSize = 50 }),
        new("admin: subject contains \"printer\"", ShapeRole.Admin, "issue",
            _ => new TicketQuery { SubjectContains = "printer", Descending = true, PageSize = 50 },
            Gap: "ILIKE is not leakproof, so under row-level security no index (trigram or other) can evaluate it before the policy; the search feature closes it"),
        new("customer portal: my tickets, recently updated, 100", ShapeRole.TypicalCustomer, "web host",
            f => new TicketQuery { RequesterId = f.TypicalCustomerId, Sort = TicketSort.Updated, Descending = true }),
        new("customer portal of the busiest customer, 100", ShapeRole.HeavyCustomer, "web host",
            f => new TicketQuery { RequesterId = f.HeavyCustomerId, Sort = TicketSort.Updated, Descending = true }),
        new("queue board: one queue, active, oldest first, 100", ShapeRole.Agent, "web host",
            f => new TicketQuery { QueueId = f.BusyQueue, Statuses = Active, Sort = TicketSort.Created }),
        new("agent home: assigned to me, active, urgent first, 100", ShapeRole.Agent, "web host",
            f => new TicketQuery { AssigneeId = f.AgentId, Statuses = Active, Sort = TicketSort.Priority, Descending = true }),
        new("agent: unassigned new/open, urgent first", ShapeRole.Agent, "console: tickets list --unassigned --status new,open --sort priority --desc",
            _ => new TicketQuery { Unassigned = true, Statuses = NewOpen, Sort = TicketSort.Priority, Descending = true, PageSize = 50 }),
        new("agent: all visible, newest first", ShapeRole.Agent, "SDK, console",
            _ => new TicketQuery { Descending = true, PageSize = 50 }),
        new("agent: assigned to me, recently updated", ShapeRole.Agent, "console: --assignee me --sort updated --desc",
            f => new TicketQuery { AssigneeId = f.AgentId, Sort = TicketSort.Updated, Descending = true, PageSize = 50 }),
        new("admin: all tickets, newest first", ShapeRole.Admin, "SDK",
            _ => new TicketQuery { Descending = true, PageSize = 50 }),
        new("admin: all tickets, keyset page 10,000 (500,000 rows deep)", ShapeRole.Admin, "SDK",
            _ => new TicketQuery { Descending = true, PageSize = 50 },
            new DeepCursor("select created_at, id from public.tickets order by created_at desc, id desc", 499_999)),
        new("admin: oldest first (console default), 100", ShapeRole.Admin, "console: tickets list",
            _ => new TicketQuery { PageSize = 100 }),
        new("admin: recently updated", ShapeRole.Admin, "console: --sort updated --desc",
            _ => new TicketQuery { Sort = TicketSort.Updated, Descending = true, PageSize = 50 }),
        new("admin: active, urgent first", ShapeRole.Admin, "console: --status new,open,pending,on_hold --sort priority --desc",
            _ => new TicketQuery { Statuses = Active, Sort = TicketSort.Priority, Descending = true, PageSize = 50 }),
        new("admin: urgent and active, newest first", ShapeRole.Admin, "console: --priority urgent --status ...",
            _ => new TicketQuery { Priorities = [TicketPriority.Urgent], Statuses = Active, Descending = true, PageSize = 50 }),
        new("admin: solved, newest first", ShapeRole.Admin, "console: --status solved",
            _ => new TicketQuery { Statuses = [TicketStatus.Solved], Descending = true, PageSize = 50 }),
        new("admin: one queue's history, newest first", ShapeRole.Admin, "console: --queue",
            f => new TicketQuery { QueueId = f.BusyQueue, Descending = true, PageSize = 50 }),
        new("admin: created in one week a year ago", ShapeRole.Admin, "console: --created-from --created-to",
            f => new TicketQuery { CreatedFrom = f.End.AddDays(-365), CreatedTo = f.End.AddDays(-358), PageSize = 50 }),
        new("export: updated in the last 30 days, oldest first, 200", ShapeRole.Admin, "console: export",
            f => new TicketQuery { UpdatedFrom = f.End.AddDays(-30), Sort = TicketSort.Updated, PageSize = 200 }),
        new("admin: tagged billing, newest first", ShapeRole.Admin, "console: --tag billing",
            _ => new TicketQuery { TagsAny = ["billing"], Descending = true, PageSize = 50 }),
        new("admin: tagged both billing and refund", ShapeRole.Admin, "console: --tag billing --tag refund --all-tags",
            _ => new TicketQuery { TagsAll = ["billing", "refund"], Descending = true, PageSize = 50 }),
        new("agent: subject contains \"password\", new/open", ShapeRole.Agent, "console: --subject password --status new,open",
            _ => new TicketQuery { SubjectContains = "password", Statuses = NewOpen, Descending = true, PageSize = 50 },
            Gap: "ILIKE is not leakproof (as above) and its estimate is blind to word frequency, so the planner may fetch and sort every active match; bounded by the active tickets"),
        new("agent: breaching soon, one queue, due soonest first", ShapeRole.Agent, "web host: breaching soon",
            f => new TicketQuery { QueueId = f.BusyQueue, Sort = TicketSort.SlaDue, PageSize = 50 }),
        new("agent: all visible, due soonest first", ShapeRole.Agent, "SDK, console: --sort sla_due",
            _ => new TicketQuery { Sort = TicketSort.SlaDue, PageSize = 50 }),
        new("admin: breached, newest first", ShapeRole.Admin, "SDK, console: --breached",
            _ => new TicketQuery { SlaBreached = true, Descending = true, PageSize = 50 },
            Gap: "the planner reads every breached ticket from the breached index and sorts them: bounded by the open tickets with a missed target, not by the table; the due-soonest order is read from an index"),
        new("agent: breached, due soonest first", ShapeRole.Agent, "SDK",
            _ => new TicketQuery { SlaBreached = true, Sort = TicketSort.SlaDue, PageSize = 50 }),
        new("customer, row-level security only (no requester filter), newest first", ShapeRole.TypicalCustomer, "supabase-js: from('tickets').select().order('created_at')",
            _ => new TicketQuery { Descending = true, PageSize = 50 },
            Gap: "a statement is planned once for every role, so the policy's requester test cannot pick the requester index; send requester_id (the SDK's RequesterId, as the web host does)"),
    ];
}
