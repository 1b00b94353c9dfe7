-- AutoCRM at 10^6 tickets: ticket indexes that match the list shapes the SDK, the web host and the console tool send;
-- a tickets_select policy the planner estimates sensibly; per-queue counters so queue_stats() never counts tickets; a
-- claim path with one statement and no per-call helper overhead. Forward-only; sorts after 20261204232802 (realtime private channels),
-- and what it redefines starts from the newest definition before it (named beside each).
--
-- Every list the SDK sends is `<filters> order by <key> [desc], id [desc] limit <page>` (keyset: the next page adds
-- `<key> <= last` and the tie-break on id). PostgreSQL 15 reads such a page straight off a b-tree whose columns are
-- (equality filters..., key, id): no sort and no rows read beyond the page.
--
-- Two things decide which filters can be index conditions for API callers, because their queries run under row-level
-- security: a filter the caller wrote may only be checked inside an index (before the policy) when its operator is
-- leakproof. uuid and timestamptz comparisons are; enum comparisons (status, priority), array overlap/containment
-- (tags), jsonb containment (metadata) and ILIKE (subject) are not. So:
--   * status lists are served by partial indexes over the active tickets (new, open, pending, on hold: a few percent
--     of a help desk's history); a partial index needs its predicate implied, not evaluated, so any subset of those
--     statuses can use them;
--   * queue, assignee and requester (uuid) lead indexes, followed by the sort key and id;
--   * tag, metadata and subject filters are checked on rows read in sort order; GIN indexes cannot serve API callers
--     (the existing ones stay for back-office code that runs without row-level security), and no trigram index is
--     added for the same reason (see docs/scale.md for what closes that gap).

-- ---------------------------------------------------------------------------
-- Ticket indexes
-- ---------------------------------------------------------------------------
-- Dropped, because no query shape uses them as they are and each costs every insert and update:
--   (status, queue_id, updated_at desc) and (queue_id, status, updated_at desc): a status list makes them sort;
--     nothing lists by queue and updated_at; replaced by tickets_queue_created_id_idx and the active indexes.
--   (updated_at desc, id): mixed directions; lists order both columns the same way, so it could serve neither
--     `updated_at, id` nor `updated_at desc, id desc`. Replaced by (updated_at, id).
--   (assignee_id, status, updated_at desc): replaced by (assignee_id, updated_at, id) and the active
--     (assignee_id, priority, id) of the agent's start page.
--   (requester_id, created_at desc): no id tie-break, so keyset pages sorted after reading; replaced by
--     (requester_id, created_at, id) and (requester_id, updated_at, id).
drop index public.tickets_status_queue_updated_idx;
drop index public.tickets_queue_status_updated_idx;
drop index public.tickets_updated_at_idx;
drop index public.tickets_assignee_status_idx;
drop index public.tickets_requester_created_idx;

-- Kept: tickets_pkey (id), tickets_number_key (number), tickets_created_at_id_idx (created_at, id),
-- tickets_tags_idx (gin tags), tickets_metadata_idx (gin metadata jsonb_path_ops) and tickets_claimable_idx
-- (queue_id, priority desc, created_at, id) where unassigned and new/open: claim_next_ticket reads it per queue.

-- Whole history, by the sort keys and by the columns callers filter on. The leading column also serves the foreign
-- keys' ON DELETE actions (deleting a queue or a user must not scan every ticket).
create index tickets_updated_at_id_idx on public.tickets (updated_at, id);
create index tickets_requester_created_id_idx on public.tickets (requester_id, created_at, id);
create index tickets_requester_updated_id_idx on public.tickets (requester_id, updated_at, id);
create index tickets_queue_created_id_idx on public.tickets (queue_id, created_at, id);
create index tickets_assignee_updated_id_idx on public.tickets (assignee_id, updated_at, id);

-- Active tickets (what agents work): boards, inboxes and "everything I can see that is open".
create index tickets_active_created_id_idx on public.tickets (created_at, id)
  where status in ('new', 'open', 'pending', 'on_hold');
create index tickets_active_queue_created_id_idx on public.tickets (queue_id, created_at, id)
  where status in ('new', 'open', 'pending', 'on_hold');
create index tickets_active_priority_id_idx on public.tickets (priority, id)
  where status in ('new', 'open', 'pending', 'on_hold');
create index tickets_active_assignee_priority_id_idx on public.tickets (assignee_id, priority, id)
  where status in ('new', 'open', 'pending', 'on_hold');

-- Waiting work, most urgent first (TicketQuery { Unassigned, Statuses = new/open, Sort = Priority }).
create index tickets_unassigned_priority_id_idx on public.tickets (priority, id)
  where assignee_id is null and status in ('new', 'open');

-- ---------------------------------------------------------------------------
-- tickets_select: the same rows for every caller, written so the planner estimates it sensibly
-- ---------------------------------------------------------------------------
-- The role tests were `(select current_app_role()) = 'admin'`: a comparison of a run-time parameter with a constant,
-- which the planner estimates at 0.5 % of rows, so it believed the policy kept under 1 % of the table for everyone.
-- With that belief, reading an index in order until a page is full looks ruinous, and it chose to fetch every row
-- matching the other filters and sort them (an agent's inbox read and sorted a queue's whole backlog). As
-- `(select current_app_role() = 'admin')` the test is a boolean parameter, estimated at one half, so index-ordered
-- pages win wherever they should. Same truth table (null role: null, as before), same helpers, same initplans: run
-- once per statement. PostgreSQL plans a statement once for every caller (the helpers' values are only known at run
-- time), so no formulation can pick a different index per role; the query's own filters (requester, queue, assignee)
-- are what lead to a role's index.
alter policy tickets_select on public.tickets
  using (
    requester_id = (select auth.uid())
    or (select public.current_app_role() = 'admin')
    or ((select public.current_app_role() = 'agent')
        and (queue_id is null
             or assignee_id = (select auth.uid())
             or queue_id = any ((select public.current_queue_ids())::uuid[])))
  );

-- ---------------------------------------------------------------------------
-- queue_ticket_counts: tickets per (queue, status, unassigned), kept by triggers, read by queue_stats()
-- ---------------------------------------------------------------------------
-- Each key is split over 16 shards (by the writing backend) so concurrent claims in one queue do not wait on one
-- counter row; a reader sums the shards. Internal: no API role reads or writes it; queue_stats() is the interface.
create table public.queue_ticket_counts (
  queue_id uuid not null,
  status public.ticket_status not null,
  unassigned boolean not null,
  shard smallint not null,
  tickets bigint not null,
  constraint queue_ticket_counts_pkey primary key (queue_id, status, unassigned, shard)
);
comment on table public.queue_ticket_counts is
  'Tickets per queue, status and unassigned-or-not, in 16 shards per key; maintained by triggers on tickets, read by queue_stats(). No foreign key: a deleted queue''s rows are harmless (its tickets move to no queue and the counts go to zero).';

alter table public.queue_ticket_counts enable row level security;
-- No policies: only the security definer functions below touch it.
revoke all on public.queue_ticket_counts from anon, authenticated;
revoke insert, update, delete, truncate on public.queue_ticket_counts from service_role;

create function public.queue_ticket_counts_apply()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_shard smallint := (pg_backend_pid() % 16)::smallint;
begin
  -- One statement, rows in key order: two writers that touch the same two keys lock them in the same order.
  insert into public.queue_ticket_counts as c (queue_id, status, unassigned, shard, tickets)
  select d.queue_id, d.status, d.unassigned, v_shard, d.delta
    from (
      select old.queue_id, old.status, old.assignee_id is null, -1
       where tg_op in ('UPDATE', 'DELETE') and old.queue_id is not null
      union all
      select new.queue_id, new.status, new.assignee_id is null, 1
       where tg_op in ('UPDATE', 'INSERT') and new.queue_id is not null
    ) as d (queue_id, status, unassigned, delta)
   order by d.queue_id, d.status, d.unassigned
  on conflict (queue_id, status, unassigned, shard) do update set tickets = c.tickets + excluded.tickets;
  return null;
end;
$$;
revoke execute on function public.queue_ticket_counts_apply() from public, anon, authenticated;

create trigger tickets_count_insert
  after insert on public.tickets
  for each row when (new.queue_id is not null)
  execute function public.queue_ticket_counts_apply();

-- Only updates that move a ticket between counters call the function (replies, which touch updated_at, do not).
-- No column list (`update of ...`): a before trigger (routing) may set queue or assignee without naming them.
create trigger tickets_count_update
  after update on public.tickets
  for each row
  when (old.queue_id is distinct from new.queue_id
        or old.status is distinct from new.status
        or (old.assignee_id is null) is distinct from (new.assignee_id is null))
  execute function public.queue_ticket_counts_apply();

create trigger tickets_count_delete
  after delete on public.tickets
  for each row when (old.queue_id is not null)
  execute function public.queue_ticket_counts_apply();

-- Recounts from the tickets (the backfill below; bulk loads that ran with triggers off). Blocks ticket writes while it runs.
create function public.recount_queue_tickets()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  lock table public.tickets in share mode;
  lock table public.queue_ticket_counts in exclusive mode;
  delete from public.queue_ticket_counts;
  insert into public.queue_ticket_counts (queue_id, status, unassigned, shard, tickets)
  select t.queue_id, t.status, t.assignee_id is null, 0, count(*)
    from public.tickets t
   where t.queue_id is not null
   group by t.queue_id, t.status, t.assignee_id is null;
end;
$$;
revoke execute on function public.recount_queue_tickets() from public, anon, authenticated;
comment on function public.recount_queue_tickets() is
  'Rebuilds queue_ticket_counts from tickets (after a bulk load with triggers off). Back-office only.';

-- The data generator (src/AutoCrm.DataGenerator) loads with triggers off and then calls this to rebuild whatever
-- triggers maintain. Starts from 20261204232400_search_documents.sql's definition (staff activity, search documents)
-- and adds the queue counters; a migration that adds trigger-maintained data extends it the same way.
create or replace function public.refresh_generated_data()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform public.rebuild_ticket_staff_activity();
  perform autocrm_private.build_missing_search_documents();
  perform public.recount_queue_tickets();
end;
$$;
comment on function public.refresh_generated_data() is
  'Rebuilds trigger-maintained data (staff activity, search documents, vocabulary, queue counters) after a bulk load with triggers off.';
revoke execute on function public.refresh_generated_data() from public, anon, authenticated, service_role;

select public.recount_queue_tickets();

-- ---------------------------------------------------------------------------
-- queue_stats: the same rows as before, from the counters. Per queue: one index probe for the oldest unassigned
-- ticket (tickets_active_queue_created_id_idx) instead of counting the queue's whole history.
-- ---------------------------------------------------------------------------
create or replace function public.queue_stats()
returns table (
  queue_id uuid,
  slug text,
  name text,
  new_count bigint,
  open_count bigint,
  pending_count bigint,
  on_hold_count bigint,
  solved_count bigint,
  closed_count bigint,
  unassigned_count bigint,
  oldest_unassigned_at timestamptz
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_role public.app_role := public.current_app_role();
  v_all boolean;
begin
  v_all := v_role is not distinct from 'admin' or public.request_is_privileged();
  if not v_all and v_role is distinct from 'agent' then
    return;
  end if;

  return query
    select q.id,
           q.slug,
           q.name,
           coalesce(sum(c.tickets) filter (where c.status = 'new'), 0)::bigint,
           coalesce(sum(c.tickets) filter (where c.status = 'open'), 0)::bigint,
           coalesce(sum(c.tickets) filter (where c.status = 'pending'), 0)::bigint,
           coalesce(sum(c.tickets) filter (where c.status = 'on_hold'), 0)::bigint,
           coalesce(sum(c.tickets) filter (where c.status = 'solved'), 0)::bigint,
           coalesce(sum(c.tickets) filter (where c.status = 'closed'), 0)::bigint,
           coalesce(sum(c.tickets) filter (where c.unassigned and c.status not in ('solved', 'closed')), 0)::bigint,
           (select t.created_at
              from public.tickets t
             where t.queue_id = q.id and t.assignee_id is null and t.status in ('new', 'open', 'pending', 'on_hold')
             order by t.created_at
             limit 1)
      from public.queues q
      left join public.queue_ticket_counts c on c.queue_id = q.id
     where v_all
        or exists (select 1 from public.queue_members qm where qm.queue_id = q.id and qm.agent_id = v_uid)
     group by q.id, q.slug, q.name
     order by q.slug;
end;
$$;

-- ---------------------------------------------------------------------------
-- tickets_record_events: the same history rows, cheaper to write. Starts from 20261126110000's definition.
--   * all the fields an update changed are recorded by one insert (a claim changes status and assignee: two rows,
--     one statement, in the same order and so with the same ids as before);
--   * the "ticket deleted by the same cascade" check runs only where a cascade can happen: in a nested trigger
--     (a foreign key action or another trigger's update). A statement that updates a ticket directly cannot have
--     deleted it; the check was one more index probe on every update.
-- ---------------------------------------------------------------------------
create or replace function public.tickets_record_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_actor uuid := (select p.id from public.profiles p where p.id = auth.uid());
begin
  if tg_op = 'INSERT' then
    insert into public.ticket_events (ticket_id, actor_id, kind, changes)
    values (new.id, v_actor, 'created', jsonb_build_object(
      'status', jsonb_build_array(null, new.status),
      'priority', jsonb_build_array(null, new.priority),
      'assignee_id', jsonb_build_array(null, new.assignee_id),
      'queue_id', jsonb_build_array(null, new.queue_id),
      'tags', jsonb_build_array(null, to_jsonb(new.tags))));
    return new;
  end if;

  if new.status is not distinct from old.status and new.priority is not distinct from old.priority
     and new.assignee_id is not distinct from old.assignee_id and new.queue_id is not distinct from old.queue_id
     and new.tags is not distinct from old.tags then
    return new;
  end if;

  -- A cascade can update and delete the same ticket in one statement (e.g. deleting a user who is both requester and
  -- assignee): nothing to record for a ticket that is gone.
  if pg_trigger_depth() > 1 and not exists (select 1 from public.tickets t where t.id = new.id) then
    return new;
  end if;

  insert into public.ticket_events (ticket_id, actor_id, kind, changes)
  select new.id, v_actor, e.kind, e.changes
    from (values
      (1, 'status_changed', case when new.status is distinct from old.status
                                 then jsonb_build_object('status', jsonb_build_array(old.status, new.status)) end),
      (2, 'priority_changed', case when new.priority is distinct from old.priority
                                   then jsonb_build_object('priority', jsonb_build_array(old.priority, new.priority)) end),
      (3, 'assignee_changed', case when new.assignee_id is distinct from old.assignee_id
                                   then jsonb_build_object('assignee_id', jsonb_build_array(old.assignee_id, new.assignee_id)) end),
      (4, 'queue_changed', case when new.queue_id is distinct from old.queue_id
                                then jsonb_build_object('queue_id', jsonb_build_array(old.queue_id, new.queue_id)) end),
      (5, 'tags_changed', case when new.tags is distinct from old.tags
                               then jsonb_build_object('tags', jsonb_build_array(to_jsonb(old.tags), to_jsonb(new.tags))) end)
    ) as e (position, kind, changes)
   where e.changes is not null
   order by e.position;
  return new;
end;
$$;

-- ---------------------------------------------------------------------------
-- claim_next_ticket: same contract, one statement. The caller's role is read once, the membership check and the
-- candidate search are plain queries (no nested security definer helpers), and the claim is one
-- `update ... where id = (select ... for update skip locked) returning *`.
--
-- Candidates come from each of the caller's queues (tickets_claimable_idx, one index probe per queue, each taking the
-- first ticket nobody else holds), and the best of those is claimed. Walking one global claim order instead and
-- skipping other queues' tickets costs whatever lies ahead of the caller's first ticket: an agent whose queues have
-- no urgent work read past every urgent ticket of every other queue on each claim. The other queues' candidates stay
-- locked until this claim commits (a few hundred microseconds); concurrent claimers skip them, as they skip any ticket
-- being claimed.
-- ---------------------------------------------------------------------------
create or replace function public.claim_next_ticket(queue_id uuid default null)
returns setof public.tickets
language plpgsql
volatile
security definer
set search_path = ''
rows 1
as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_role public.app_role;
  v_queue uuid := claim_next_ticket.queue_id;
  v_queues uuid[];
begin
  if v_uid is null then
    raise exception 'claim_next_ticket needs a signed-in agent' using errcode = '42501';
  end if;
  v_role := public.current_app_role();
  if v_role is distinct from 'agent' and v_role is distinct from 'admin' and not public.request_is_privileged() then
    raise exception 'only agents can claim tickets' using errcode = '42501';
  end if;

  if v_queue is not null then
    if not exists (select 1 from public.queue_members qm where qm.queue_id = v_queue and qm.agent_id = v_uid) then
      if not exists (select 1 from public.queues q where q.id = v_queue) then
        raise exception 'queue % not found', v_queue using errcode = 'PT404';
      end if;
      if v_role is distinct from 'admin' and not public.request_is_privileged() then
        raise exception 'you are not a member of queue %', v_queue using errcode = '42501';
      end if;
    end if;
    v_queues := array[v_queue];
  else
    v_queues := array(select qm.queue_id from public.queue_members qm where qm.agent_id = v_uid);
  end if;

  return query
    update public.tickets u
       set assignee_id = v_uid,
           status = case when u.status = 'new' then 'open'::public.ticket_status else u.status end
     where u.id = (select c.id
                     from unnest(v_queues) as q (queue_id)
                     cross join lateral (
                       select t.id, t.priority, t.created_at
                         from public.tickets t
                        where t.queue_id = q.queue_id and t.assignee_id is null and t.status in ('new', 'open')
                        order by t.priority desc, t.created_at, t.id
                        limit 1
                        for update of t skip locked) as c
                    order by c.priority desc, c.created_at, c.id
                    limit 1)
    returning u.*;
end;
$$;
comment on function public.claim_next_ticket(uuid) is
  'Claims the next unassigned new/open ticket (urgent first, then oldest) from the caller''s queues or the named queue; returns it, or no row.';
