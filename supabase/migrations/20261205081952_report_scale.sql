-- Reports at scale. (1) Backlog at any instant without reading every fact before it: autocrm_private.ticket_backlog_daily keeps, per UTC day
-- and queue, the net change of the backlog (created + reopened - solved) of that day's facts, maintained by statement
-- triggers on ticket_metric_facts (insert adds, delete - a ticket's cascade - subtracts). report_summary's backlog at
-- to_at is then the sum of the days before to_at's UTC day (a few thousand rows at 10^6 tickets) plus the facts of
-- that day up to to_at (one index range). (2) The facts backfill in linear time. (3) The fact triggers' SQL helpers in
-- PL/pgSQL (a security definer SQL function is planned again on every call; PL/pgSQL keeps its plans). Forward-only.
--
-- Concurrency: writers in the same queue on the same day would all update one row and wait for each other's commits,
-- so each key is split over 8 shards chosen by the writing backend (as queue_ticket_counts does); a sum reads them all.

create table autocrm_private.ticket_backlog_daily (
  day date not null,
  queue_id uuid,
  shard smallint not null,
  net bigint not null,
  constraint ticket_backlog_daily_key unique nulls not distinct (day, queue_id, shard)
);
comment on table autocrm_private.ticket_backlog_daily is
  'Per UTC day, queue and shard: created + reopened - solved facts of that day (docs/reports.md). Rebuilt by '
  'autocrm_private.rebuild_ticket_backlog_daily().';
create index ticket_backlog_daily_queue_idx on autocrm_private.ticket_backlog_daily (queue_id, day) include (net);
revoke all on autocrm_private.ticket_backlog_daily from public, anon, authenticated, service_role;

create function autocrm_private.ticket_metric_facts_backlog()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into autocrm_private.ticket_backlog_daily as d (day, queue_id, shard, net)
    select (f.occurred_at at time zone 'UTC')::date, f.queue_id, (pg_backend_pid() % 8)::smallint,
           sum(case when f.kind = 'resolution' then -1 else 1 end)
      from inserted f
     where f.kind in ('created', 'resolution', 'reopen')
     group by 1, 2
    on conflict (day, queue_id, shard) do update set net = d.net + excluded.net;
  else
    insert into autocrm_private.ticket_backlog_daily as d (day, queue_id, shard, net)
    select (f.occurred_at at time zone 'UTC')::date, f.queue_id, (pg_backend_pid() % 8)::smallint,
           -sum(case when f.kind = 'resolution' then -1 else 1 end)
      from deleted f
     where f.kind in ('created', 'resolution', 'reopen')
     group by 1, 2
    on conflict (day, queue_id, shard) do update set net = d.net + excluded.net;
  end if;
  return null;
end;
$$;

create trigger ticket_metric_facts_backlog_insert
  after insert on public.ticket_metric_facts
  referencing new table as inserted
  for each statement execute function autocrm_private.ticket_metric_facts_backlog();
create trigger ticket_metric_facts_backlog_delete
  after delete on public.ticket_metric_facts
  referencing old table as deleted
  for each statement execute function autocrm_private.ticket_metric_facts_backlog();

-- Recomputes the table from the facts (after a bulk load with triggers off), one row per day and queue. Writers wait
-- for it (and it for them), so no fact is counted twice or lost.
create function autocrm_private.rebuild_ticket_backlog_daily()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  lock table autocrm_private.ticket_backlog_daily in exclusive mode;
  delete from autocrm_private.ticket_backlog_daily;
  insert into autocrm_private.ticket_backlog_daily (day, queue_id, shard, net)
  select (f.occurred_at at time zone 'UTC')::date, f.queue_id, 0, sum(case when f.kind = 'resolution' then -1 else 1 end)
    from public.ticket_metric_facts f
   where f.kind in ('created', 'resolution', 'reopen')
   group by 1, 2;
end;
$$;
revoke execute on function autocrm_private.ticket_metric_facts_backlog(), autocrm_private.rebuild_ticket_backlog_daily()
  from public, anon, authenticated, service_role;

select autocrm_private.rebuild_ticket_backlog_daily();

-- From 20261205072300_csat_and_metric_facts.sql (the newest definition): a solve's replies are counted from the
-- conversation's (ticket_id, created_at) index, not by scanning every staff reply of the load for each solve (which
-- made the backfill quadratic in the number of tickets).
create or replace function autocrm_private.backfill_ticket_metric_facts()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_count bigint;
begin
  create temporary table metric_backfill_tickets on commit drop as
    select t.id, t.created_at, t.requester_id, t.assignee_id, t.queue_id, t.priority,
           left(nullif(t.metadata ->> 'channel', ''), 100) as channel, autocrm_private.metric_calendar(t.id) as calendar
      from public.tickets t
     where not exists (select 1 from public.ticket_metric_facts f where f.ticket_id = t.id);
  create index on metric_backfill_tickets (id);
  analyze metric_backfill_tickets;

  create temporary table metric_backfill_facts on commit drop as
  with staff_replies as (
    select m.ticket_id, m.id, m.author_id, m.created_at,
           lag(m.created_at) over (partition by m.ticket_id order by m.created_at, m.id) as previous_at,
           row_number() over (partition by m.ticket_id order by m.created_at, m.id) as n
      from metric_backfill_tickets t
      join public.ticket_messages m on m.ticket_id = t.id
      join public.profiles p on p.id = m.author_id
     where m.visibility = 'public' and m.author_id <> t.requester_id and p.role in ('agent', 'admin')
  ),
  status_moves as (
    select e.ticket_id, e.created_at,
           coalesce(e.changes -> 'status' ->> 0, '') in ('solved', 'closed') as was_solved,
           (e.changes -> 'status' ->> 1) in ('solved', 'closed') as is_solved
      from metric_backfill_tickets t
      join public.ticket_events e on e.ticket_id = t.id
     where e.kind in ('created', 'status_changed')
  ),
  moves as (
    select s.ticket_id, s.created_at, case when s.is_solved then 'resolution' else 'reopen' end as kind,
           row_number() over (partition by s.ticket_id, s.is_solved order by s.created_at) as sequence
      from status_moves s
     where s.is_solved <> s.was_solved
  )
  select t.id as ticket_id, 'created'::text as kind, t.created_at as occurred_at, t.assignee_id as agent_id,
         null::timestamptz as from_at, null::integer as sequence, null::integer as replies
    from metric_backfill_tickets t
  union all
  select r.ticket_id, 'first_reply', r.created_at, r.author_id, t.created_at, null, null
    from staff_replies r join metric_backfill_tickets t on t.id = r.ticket_id
   where r.n = 1
  union all
  select r.ticket_id, 'next_reply', r.created_at, r.author_id, w.since, null, null
    from staff_replies r
    cross join lateral (
      select min(m.created_at) as since
        from public.ticket_messages m join metric_backfill_tickets t on t.id = m.ticket_id
       where m.ticket_id = r.ticket_id and m.visibility = 'public' and m.author_id = t.requester_id
         and m.created_at > r.previous_at and m.created_at <= r.created_at and m.id <> r.id) w
   where r.n > 1 and w.since is not null
  union all
  select mv.ticket_id, mv.kind, mv.created_at, t.assignee_id,
         case when mv.kind = 'resolution' then t.created_at end, mv.sequence::integer,
         case when mv.kind = 'resolution'
              then (select count(*)::integer
                      from public.ticket_messages m join public.profiles p on p.id = m.author_id
                     where m.ticket_id = mv.ticket_id and m.created_at <= mv.created_at and m.visibility = 'public'
                       and m.author_id <> t.requester_id and p.role in ('agent', 'admin')) end
    from moves mv join metric_backfill_tickets t on t.id = mv.ticket_id;

  -- next_reply facts are numbered by the answered replies before them, as the trigger numbers them
  insert into public.ticket_metric_facts (ticket_id, kind, occurred_at, queue_id, agent_id, priority, channel,
                                          calendar_minutes, business_minutes, business_hours_id, sequence, replies)
  select f.ticket_id, f.kind, f.occurred_at, t.queue_id, f.agent_id, t.priority, t.channel,
         case when f.from_at is not null
              then round((extract(epoch from f.occurred_at) - extract(epoch from f.from_at)) / 60, 4) end,
         case when f.from_at is not null and t.calendar is not null
              then round(autocrm_private.sla_minutes_between(t.calendar, f.from_at, f.occurred_at), 4) end,
         case when f.from_at is not null then t.calendar end,
         case when f.kind = 'next_reply'
              then (count(*) filter (where f.kind in ('first_reply', 'next_reply'))
                      over (partition by f.ticket_id order by f.occurred_at rows between unbounded preceding and 1 preceding))::integer
              else f.sequence end,
         f.replies
    from metric_backfill_facts f join metric_backfill_tickets t on t.id = f.ticket_id
   order by f.occurred_at;
  get diagnostics v_count = row_count;
  drop table metric_backfill_facts;
  drop table metric_backfill_tickets;
  return v_count;
end;
$$;

-- From 20261205080722_routing.sql (the newest definition), plus the backlog table.
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
  perform autocrm_private.backfill_ticket_metric_facts();
  perform autocrm_private.rebuild_ticket_backlog_daily();
  perform public.recount_agent_loads();
end;
$$;
comment on function public.refresh_generated_data() is
  'Rebuilds trigger-maintained data (staff activity, search documents, vocabulary, queue counters, metric facts, daily backlog, agent loads) after a bulk load with triggers off.';
revoke execute on function public.refresh_generated_data() from public, anon, authenticated, service_role;

-- report_summary's SLA achievement finds the clocks that ended in the period (met, or found breached first) by index.
create index ticket_slas_ended_idx on public.ticket_slas ((coalesce(breached_at, fulfilled_at)))
  where coalesce(breached_at, fulfilled_at) is not null;

-- From 20261205072301_report_functions.sql (the newest definition); the backlog now reads the daily table, and the
-- percentiles of one measure and kind share one sort.
create or replace function public.report_summary(
  from_at timestamptz, to_at timestamptz, queue_id uuid default null, agent_id uuid default null)
returns table (
  tickets_created bigint,
  tickets_solved bigint,
  first_reply_count bigint,
  first_reply_median_minutes numeric,
  first_reply_p90_minutes numeric,
  first_reply_median_business_minutes numeric,
  first_reply_p90_business_minutes numeric,
  next_reply_count bigint,
  next_reply_median_minutes numeric,
  resolution_median_minutes numeric,
  resolution_p90_minutes numeric,
  resolution_median_business_minutes numeric,
  resolution_p90_business_minutes numeric,
  first_resolution_median_minutes numeric,
  replies_to_resolution_median numeric,
  reopens bigint,
  reopen_rate_percent numeric,
  backlog_at_end bigint,
  ratings bigint,
  csat_percent numeric,
  sla_clocks bigint,
  sla_achievement_percent numeric)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_queues uuid[] := autocrm_private.report_queues(report_summary.queue_id);
  v_filter text := autocrm_private.report_filter(v_queues, report_summary.agent_id);
  v_backlog bigint;
  v_ratings bigint;
  v_satisfied bigint;
  v_clocks bigint;
  v_met bigint;
begin
  perform autocrm_private.check_report_period(report_summary.from_at, report_summary.to_at);

  -- Backlog at the end: the days before to_at's UTC day from the daily table, that day's facts up to to_at. Not by
  -- agent (an agent's backlog would need the assignment history).
  if report_summary.agent_id is null then
    execute 'select coalesce((select sum(d.net) from autocrm_private.ticket_backlog_daily d'
         || ' where d.day < ($2 at time zone ''UTC'')::date'
         || case when v_queues is null then '' else ' and d.queue_id = any ($3)' end || '), 0)'
         || ' + (select count(*) filter (where f.kind <> ''resolution'') - count(*) filter (where f.kind = ''resolution'')'
         || ' from public.ticket_metric_facts f where f.kind in (''created'', ''resolution'', ''reopen'')'
         || ' and f.occurred_at >= date_trunc(''day'', $2, ''UTC'') and f.occurred_at < $2' || v_filter || ')'
      into v_backlog using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id;
  end if;

  execute 'select count(*), count(*) filter (where f.satisfied) from public.ticket_ratings f'
       || ' where f.solved_at >= $1 and f.solved_at < $2' || v_filter
    into v_ratings, v_satisfied using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id;

  -- SLA clocks that ended in the period (met, or found breached), by the ticket's queue and assignee now.
  execute 'select count(*), count(*) filter (where s.breached_at is null) from public.ticket_slas s'
       || ' join public.tickets f on f.id = s.ticket_id'
       || ' where coalesce(s.breached_at, s.fulfilled_at) >= $1 and coalesce(s.breached_at, s.fulfilled_at) < $2'
       || replace(v_filter, 'f.agent_id', 'f.assignee_id')
    into v_clocks, v_met using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id;

  -- One sort per measure and kind: percentile_cont over an array of fractions sorts once for the median and the p90.
  return query execute
    'select a.created, a.solved, a.first_replies, round(a.fr[1]::numeric, 2), round(a.fr[2]::numeric, 2),'
    || ' round(a.frb[1]::numeric, 2), round(a.frb[2]::numeric, 2), a.next_replies, round(a.nr::numeric, 2),'
    || ' round(a.rs[1]::numeric, 2), round(a.rs[2]::numeric, 2), round(a.rsb[1]::numeric, 2), round(a.rsb[2]::numeric, 2),'
    || ' round(a.frs::numeric, 2), round(a.rep::numeric, 2), a.reopens, round(100.0 * a.reopens / nullif(a.solved, 0), 2),'
    || ' $5::bigint, $6::bigint, round(100.0 * $7 / nullif($6, 0), 2), $8::bigint, round(100.0 * $9 / nullif($8, 0), 2)'
    || ' from (select count(*) filter (where f.kind = ''created'') as created,'
    || ' count(*) filter (where f.kind = ''resolution'') as solved,'
    || ' count(*) filter (where f.kind = ''first_reply'') as first_replies,'
    || ' count(*) filter (where f.kind = ''next_reply'') as next_replies,'
    || ' count(*) filter (where f.kind = ''reopen'') as reopens,'
    || ' percentile_cont(array[0.5, 0.9]) within group (order by f.calendar_minutes) filter (where f.kind = ''first_reply'') as fr,'
    || ' percentile_cont(array[0.5, 0.9]) within group (order by f.business_minutes) filter (where f.kind = ''first_reply'') as frb,'
    || ' percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.kind = ''next_reply'') as nr,'
    || ' percentile_cont(array[0.5, 0.9]) within group (order by f.calendar_minutes) filter (where f.kind = ''resolution'') as rs,'
    || ' percentile_cont(array[0.5, 0.9]) within group (order by f.business_minutes) filter (where f.kind = ''resolution'') as rsb,'
    || ' percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.kind = ''resolution'' and f.sequence = 1) as frs,'
    || ' percentile_cont(0.5) within group (order by f.replies) filter (where f.kind = ''resolution'') as rep'
    || ' from public.ticket_metric_facts f'
    || ' where f.kind in (''created'', ''first_reply'', ''next_reply'', ''resolution'', ''reopen'')'
    || ' and f.occurred_at >= $1 and f.occurred_at < $2' || v_filter || ') a'
    using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id,
          v_backlog, v_ratings, v_satisfied, v_clocks, v_met;
end;
$$;

-- From 20261205072300_csat_and_metric_facts.sql (the newest definitions), in PL/pgSQL: they run on every measured
-- write, and a security definer SQL function is parsed and planned again on each call (as
-- 20261205073030_write_path_helpers_plpgsql.sql explains). Same names, arguments, results, volatility and grants.
create or replace function autocrm_private.metric_calendar(p_ticket_id uuid)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce(
    (select s.business_hours_id from public.ticket_slas s
      where s.ticket_id = p_ticket_id and s.business_hours_id is not null
      order by s.metric desc limit 1),
    (select r.business_hours_id from public.report_settings r));
end;
$$;

create or replace function autocrm_private.metric_staff_replies(p_ticket_id uuid, p_requester uuid)
returns integer
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select count(*)::integer
            from public.ticket_messages m
            join public.profiles p on p.id = m.author_id
           where m.ticket_id = p_ticket_id and m.visibility = 'public' and m.author_id is distinct from p_requester
             and p.role in ('agent', 'admin'));
end;
$$;
