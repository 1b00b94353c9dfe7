-- Reports at scale, part 2: hourly rollups. report_summary and report_timeseries over the whole help desk (or a set
-- of queues) read every fact of their period to count them; at 10^6 tickets a quarter holds ~364,000 facts. Now:
--
-- (1) autocrm_private.ticket_report_hourly keeps, per UTC hour and queue, the number of created, resolution, reopen,
--     first_reply and next_reply facts and the number of ratings and satisfied ratings of solves in that hour, kept by
--     the facts' statement triggers (the backlog trigger function, extended) and new statement triggers on ratings, in
--     the writer's transaction. An hour, not a day: a daily series is bucketed in the caller's time zone, and every
--     local midnight of a whole-hour zone (Europe/Berlin, America/New_York, Asia/Tokyo...) is a whole UTC hour. Counts
--     of a period are the rollup rows of its whole hours plus the facts of its partial first and last hour.
-- (2) Percentiles stay exact: each kind's period is one index-only range of the time index (now covering replies too),
--     and a series reads each bucket's range (no time-zone conversion per fact, no sort of the period by bucket).
--
-- Writers never wait for each other on a rollup row: like queue_ticket_counts and ticket_backlog_daily (see
-- 20261205103140_counters_never_wait.sql), a writer adds to a row of the key no other transaction holds
-- (`for update skip locked`) or inserts a new row numbered by its backend pid; readers sum the rows of a key.
-- Forward-only.

create table autocrm_private.ticket_report_hourly (
  hour timestamptz not null,
  queue_id uuid,
  shard integer not null,
  created bigint not null default 0,
  solved bigint not null default 0,
  reopens bigint not null default 0,
  first_replies bigint not null default 0,
  next_replies bigint not null default 0,
  ratings bigint not null default 0,
  satisfied bigint not null default 0,
  constraint ticket_report_hourly_key unique nulls not distinct (hour, queue_id, shard)
);
comment on table autocrm_private.ticket_report_hourly is
  'Per UTC hour, queue and writer row: counts of created, resolution, reopen, first_reply and next_reply facts, and '
  'ratings (and satisfied ones) of solves in that hour (docs/reports.md). Read only by the report functions; rebuilt by '
  'autocrm_private.rebuild_ticket_report_hourly().';
create index ticket_report_hourly_queue_idx on autocrm_private.ticket_report_hourly (queue_id, hour);
alter table autocrm_private.ticket_report_hourly enable row level security;
revoke all on autocrm_private.ticket_report_hourly from public, anon, authenticated, service_role;

-- Adds the deltas to one row of the key (hour, queue or none) without waiting for another transaction.
create function autocrm_private.add_ticket_report_hourly(
  p_hour timestamptz, p_queue_id uuid, p_created bigint, p_solved bigint, p_reopens bigint, p_first_replies bigint,
  p_next_replies bigint, p_ratings bigint, p_satisfied bigint)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_attempt integer := 0;
  v_shard integer;
begin
  loop
    -- Two spellings so each probe uses the (hour, queue_id, shard) index: `=` never matches the null queue.
    if p_queue_id is null then
      select k.shard into v_shard from autocrm_private.ticket_report_hourly k
       where k.hour = p_hour and k.queue_id is null
       limit 1
         for update skip locked;
    else
      select k.shard into v_shard from autocrm_private.ticket_report_hourly k
       where k.hour = p_hour and k.queue_id = p_queue_id
       limit 1
         for update skip locked;
    end if;
    if found then
      update autocrm_private.ticket_report_hourly r
         set created = r.created + p_created, solved = r.solved + p_solved, reopens = r.reopens + p_reopens,
             first_replies = r.first_replies + p_first_replies, next_replies = r.next_replies + p_next_replies,
             ratings = r.ratings + p_ratings, satisfied = r.satisfied + p_satisfied
       where r.hour = p_hour and r.queue_id is not distinct from p_queue_id and r.shard = v_shard;
      exit;
    end if;
    insert into autocrm_private.ticket_report_hourly
      (hour, queue_id, shard, created, solved, reopens, first_replies, next_replies, ratings, satisfied)
    values (p_hour, p_queue_id, pg_backend_pid() + v_attempt * 4194304, p_created, p_solved, p_reopens, p_first_replies,
            p_next_replies, p_ratings, p_satisfied)
    on conflict do nothing;
    exit when found;
    v_attempt := v_attempt + 1;
  end loop;
end;
$$;

-- 20261205103140_counters_never_wait.sql's definition (the newest), plus the hourly rollup: inserted facts add to their
-- hour and queue, deleted facts (a ticket's cascade) subtract.
create or replace function autocrm_private.ticket_metric_facts_backlog()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row record;
begin
  if tg_op = 'INSERT' then
    for v_row in
      select (f.occurred_at at time zone 'UTC')::date as day, f.queue_id, sum(case when f.kind = 'resolution' then -1 else 1 end) as net
        from inserted f
       where f.kind in ('created', 'resolution', 'reopen')
       group by 1, 2
    loop
      perform autocrm_private.add_ticket_backlog_net(v_row.day, v_row.queue_id, v_row.net);
    end loop;
    for v_row in
      select date_trunc('hour', f.occurred_at, 'UTC') as hour, f.queue_id,
             count(*) filter (where f.kind = 'created') as created, count(*) filter (where f.kind = 'resolution') as solved,
             count(*) filter (where f.kind = 'reopen') as reopens, count(*) filter (where f.kind = 'first_reply') as first_replies,
             count(*) filter (where f.kind = 'next_reply') as next_replies
        from inserted f
       group by 1, 2
    loop
      perform autocrm_private.add_ticket_report_hourly(v_row.hour, v_row.queue_id, v_row.created, v_row.solved,
        v_row.reopens, v_row.first_replies, v_row.next_replies, 0, 0);
    end loop;
  else
    for v_row in
      select (f.occurred_at at time zone 'UTC')::date as day, f.queue_id, -sum(case when f.kind = 'resolution' then -1 else 1 end) as net
        from deleted f
       where f.kind in ('created', 'resolution', 'reopen')
       group by 1, 2
    loop
      perform autocrm_private.add_ticket_backlog_net(v_row.day, v_row.queue_id, v_row.net);
    end loop;
    for v_row in
      select date_trunc('hour', f.occurred_at, 'UTC') as hour, f.queue_id,
             count(*) filter (where f.kind = 'created') as created, count(*) filter (where f.kind = 'resolution') as solved,
             count(*) filter (where f.kind = 'reopen') as reopens, count(*) filter (where f.kind = 'first_reply') as first_replies,
             count(*) filter (where f.kind = 'next_reply') as next_replies
        from deleted f
       group by 1, 2
    loop
      perform autocrm_private.add_ticket_report_hourly(v_row.hour, v_row.queue_id, -v_row.created, -v_row.solved,
        -v_row.reopens, -v_row.first_replies, -v_row.next_replies, 0, 0);
    end loop;
  end if;
  return null;
end;
$$;

-- Ratings: a new rating adds to the hour and queue of the solve it rates, a deleted one (a ticket's cascade)
-- subtracts, a changed one (rate_ticket changes the score, so maybe whether it is satisfied) moves its count.
-- Transition tables need one trigger per event; each branch reads only the tables its event has (PL/pgSQL plans a
-- statement when it first runs it).
create function autocrm_private.ticket_ratings_report_hourly()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row record;
begin
  if tg_op = 'INSERT' then
    for v_row in
      select date_trunc('hour', r.solved_at, 'UTC') as hour, r.queue_id, count(*) as n,
             count(*) filter (where r.satisfied) as s
        from inserted r
       group by 1, 2
    loop
      perform autocrm_private.add_ticket_report_hourly(v_row.hour, v_row.queue_id, 0, 0, 0, 0, 0, v_row.n, v_row.s);
    end loop;
  elsif tg_op = 'DELETE' then
    for v_row in
      select date_trunc('hour', r.solved_at, 'UTC') as hour, r.queue_id, count(*) as n,
             count(*) filter (where r.satisfied) as s
        from deleted r
       group by 1, 2
    loop
      perform autocrm_private.add_ticket_report_hourly(v_row.hour, v_row.queue_id, 0, 0, 0, 0, 0, -v_row.n, -v_row.s);
    end loop;
  else
    for v_row in
      select date_trunc('hour', c.solved_at, 'UTC') as hour, c.queue_id, sum(c.n) as n, sum(c.s) as s
        from (select r.solved_at, r.queue_id, 1 as n, case when r.satisfied then 1 else 0 end as s from inserted r
              union all
              select r.solved_at, r.queue_id, -1, case when r.satisfied then -1 else 0 end from deleted r) c
       group by 1, 2
      having sum(c.n) <> 0 or sum(c.s) <> 0
    loop
      perform autocrm_private.add_ticket_report_hourly(v_row.hour, v_row.queue_id, 0, 0, 0, 0, 0, v_row.n, v_row.s);
    end loop;
  end if;
  return null;
end;
$$;

create trigger ticket_ratings_report_hourly_insert
  after insert on public.ticket_ratings
  referencing new table as inserted
  for each statement execute function autocrm_private.ticket_ratings_report_hourly();
create trigger ticket_ratings_report_hourly_update
  after update on public.ticket_ratings
  referencing old table as deleted new table as inserted
  for each statement execute function autocrm_private.ticket_ratings_report_hourly();
create trigger ticket_ratings_report_hourly_delete
  after delete on public.ticket_ratings
  referencing old table as deleted
  for each statement execute function autocrm_private.ticket_ratings_report_hourly();

-- Recomputes the table from the facts and ratings (after a bulk load with triggers off), one row per hour and queue.
-- Writers wait for it (and it for them), so nothing is counted twice or lost.
create function autocrm_private.rebuild_ticket_report_hourly()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  lock table autocrm_private.ticket_report_hourly in exclusive mode;
  delete from autocrm_private.ticket_report_hourly;
  insert into autocrm_private.ticket_report_hourly
    (hour, queue_id, shard, created, solved, reopens, first_replies, next_replies, ratings, satisfied)
  select c.hour, c.queue_id, 0, sum(c.created), sum(c.solved), sum(c.reopens), sum(c.first_replies), sum(c.next_replies),
         sum(c.ratings), sum(c.satisfied)
    from (select date_trunc('hour', f.occurred_at, 'UTC') as hour, f.queue_id,
                 count(*) filter (where f.kind = 'created') as created, count(*) filter (where f.kind = 'resolution') as solved,
                 count(*) filter (where f.kind = 'reopen') as reopens, count(*) filter (where f.kind = 'first_reply') as first_replies,
                 count(*) filter (where f.kind = 'next_reply') as next_replies, 0 as ratings, 0 as satisfied
            from public.ticket_metric_facts f
           group by 1, 2
          union all
          select date_trunc('hour', r.solved_at, 'UTC'), r.queue_id, 0, 0, 0, 0, 0, count(*), count(*) filter (where r.satisfied)
            from public.ticket_ratings r
           group by 1, 2) c
   group by 1, 2
   order by 1;  -- a period's rows stay together in the table
end;
$$;
revoke execute on function autocrm_private.add_ticket_report_hourly(timestamptz, uuid, bigint, bigint, bigint, bigint, bigint, bigint, bigint),
  autocrm_private.ticket_ratings_report_hourly(), autocrm_private.rebuild_ticket_report_hourly()
  from public, anon, authenticated, service_role;

select autocrm_private.rebuild_ticket_report_hourly();

-- From 20261205081952_report_scale.sql (the newest definition), plus the hourly rollups (after the facts' backfill;
-- the data generator's ratings are loaded after this refresh, through the ratings trigger).
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
  perform autocrm_private.rebuild_ticket_report_hourly();
  perform public.recount_agent_loads();
end;
$$;
comment on function public.refresh_generated_data() is
  'Rebuilds trigger-maintained data (staff activity, search documents, vocabulary, queue counters, metric facts, daily backlog, hourly report rollups, agent loads) after a bulk load with triggers off.';
revoke execute on function public.refresh_generated_data() from public, anon, authenticated, service_role;

-- The time index also covers replies, so every percentile of a kind's period (replies to resolution included) is an
-- index-only range.
drop index public.ticket_metric_facts_time_idx;
create index ticket_metric_facts_time_idx on public.ticket_metric_facts (kind, occurred_at)
  include (queue_id, agent_id, calendar_minutes, business_minutes, sequence, replies);

-- The whole hours of [p_from, p_to) the rollups answer: [first whole hour, last whole hour); the facts answer the rest
-- ([p_from, first) and [last, p_to)). A period without a whole hour is answered by its facts alone (both bounds p_to).
create function autocrm_private.report_whole_hours(p_from timestamptz, p_to timestamptz, out first_hour timestamptz,
  out end_hour timestamptz)
language plpgsql
stable
set search_path = ''
as $$
begin
  first_hour := date_trunc('hour', p_from, 'UTC');
  if first_hour < p_from then
    first_hour := first_hour + interval '1 hour';
  end if;
  end_hour := date_trunc('hour', p_to, 'UTC');
  if first_hour >= end_hour then
    first_hour := p_to;
    end_hour := p_to;
  end if;
end;
$$;
revoke execute on function autocrm_private.report_whole_hours(timestamptz, timestamptz) from public, anon, authenticated, service_role;

-- From 20261205081952_report_scale.sql (the newest definition). Without an agent filter the counts (created, solved,
-- replies, reopens, ratings) come from the hourly rollups plus the partial hours' facts and ratings, and the
-- percentiles from one index-only range per kind (first replies, next replies, resolutions) instead of one range over
-- every kind. With an agent filter (the agent index, already a small range) the query is the previous one. Same numbers.
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
set jit = off
as $$
declare
  v_queues uuid[] := autocrm_private.report_queues(report_summary.queue_id);
  v_filter text := autocrm_private.report_filter(v_queues, report_summary.agent_id);
  v_hours record := autocrm_private.report_whole_hours(report_summary.from_at, report_summary.to_at);
  v_backlog bigint;
  v_ratings bigint;
  v_satisfied bigint;
  v_clocks bigint;
  v_met bigint;
  v_created bigint;
  v_solved bigint;
  v_reopens bigint;
  v_first_replies bigint;
  v_next_replies bigint;
  -- the facts and ratings of a partial hour [$from, $to), each one index range
  v_edges text := ' union all select count(*) filter (where f.kind = ''created''), count(*) filter (where f.kind = ''resolution''),'
       || ' count(*) filter (where f.kind = ''reopen''), count(*) filter (where f.kind = ''first_reply''),'
       || ' count(*) filter (where f.kind = ''next_reply''), 0, 0 from public.ticket_metric_facts f'
       || ' where f.kind in (''created'', ''first_reply'', ''next_reply'', ''resolution'', ''reopen'')'
       || ' and f.occurred_at >= $from and f.occurred_at < $to' || v_filter
       || ' union all select 0, 0, 0, 0, 0, count(*), count(*) filter (where f.satisfied) from public.ticket_ratings f'
       || ' where f.solved_at >= $from and f.solved_at < $to' || v_filter;
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

  -- SLA clocks that ended in the period (met, or found breached), by the ticket's queue and assignee now.
  execute 'select count(*), count(*) filter (where s.breached_at is null) from public.ticket_slas s'
       || ' join public.tickets f on f.id = s.ticket_id'
       || ' where coalesce(s.breached_at, s.fulfilled_at) >= $1 and coalesce(s.breached_at, s.fulfilled_at) < $2'
       || replace(v_filter, 'f.agent_id', 'f.assignee_id')
    into v_clocks, v_met using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id;

  if report_summary.agent_id is not null then
    execute 'select count(*), count(*) filter (where f.satisfied) from public.ticket_ratings f'
         || ' where f.solved_at >= $1 and f.solved_at < $2' || v_filter
      into v_ratings, v_satisfied using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id;

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
    return;
  end if;

  -- Counts: the whole hours' rollup rows ($5 <= hour < $6), the partial hours' facts and ratings. The rollup rows are
  -- aliased f so the queue filter applies to them as to the facts.
  execute 'select coalesce(sum(c.created), 0), coalesce(sum(c.solved), 0), coalesce(sum(c.reopens), 0),'
       || ' coalesce(sum(c.first_replies), 0), coalesce(sum(c.next_replies), 0), coalesce(sum(c.ratings), 0),'
       || ' coalesce(sum(c.satisfied), 0) from ('
       || ' select f.created, f.solved, f.reopens, f.first_replies, f.next_replies, f.ratings, f.satisfied'
       || ' from autocrm_private.ticket_report_hourly f where f.hour >= $5 and f.hour < $6' || v_filter
       || replace(replace(v_edges, '$from', '$1'), '$to', '$5') || replace(replace(v_edges, '$from', '$6'), '$to', '$2')
       || ') c'
    into v_created, v_solved, v_reopens, v_first_replies, v_next_replies, v_ratings, v_satisfied
    using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id,
          v_hours.first_hour, v_hours.end_hour;

  -- Percentiles, exact: one index-only range of the time index per kind, each measure sorted once (an array of
  -- fractions shares one sort).
  return query execute
    'select $5, $6, $7, round(fr.c[1]::numeric, 2), round(fr.c[2]::numeric, 2), round(fr.b[1]::numeric, 2),'
    || ' round(fr.b[2]::numeric, 2), $8, round(nr.c::numeric, 2), round(rs.c[1]::numeric, 2), round(rs.c[2]::numeric, 2),'
    || ' round(rs.b[1]::numeric, 2), round(rs.b[2]::numeric, 2), round(rs.first::numeric, 2), round(rs.replies::numeric, 2),'
    || ' $9, round(100.0 * $9 / nullif($6, 0), 2),'
    || ' $10::bigint, $11::bigint, round(100.0 * $12 / nullif($11, 0), 2), $13::bigint, round(100.0 * $14 / nullif($13, 0), 2)'
    || ' from (select percentile_cont(array[0.5, 0.9]) within group (order by f.calendar_minutes) as c,'
    || ' percentile_cont(array[0.5, 0.9]) within group (order by f.business_minutes) as b'
    || ' from public.ticket_metric_facts f where f.kind = ''first_reply'' and f.occurred_at >= $1 and f.occurred_at < $2'
    || v_filter || ') fr,'
    || ' (select percentile_cont(0.5) within group (order by f.calendar_minutes) as c'
    || ' from public.ticket_metric_facts f where f.kind = ''next_reply'' and f.occurred_at >= $1 and f.occurred_at < $2'
    || v_filter || ') nr,'
    || ' (select percentile_cont(array[0.5, 0.9]) within group (order by f.calendar_minutes) as c,'
    || ' percentile_cont(array[0.5, 0.9]) within group (order by f.business_minutes) as b,'
    || ' percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.sequence = 1) as first,'
    || ' percentile_cont(0.5) within group (order by f.replies) as replies'
    || ' from public.ticket_metric_facts f where f.kind = ''resolution'' and f.occurred_at >= $1 and f.occurred_at < $2'
    || v_filter || ') rs'
    using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id,
          v_created, v_solved, v_first_replies, v_next_replies, v_reopens,
          v_backlog, v_ratings, v_satisfied, v_clocks, v_met;
end;
$$;
comment on function public.report_summary(timestamptz, timestamptz, uuid, uuid) is
  'Ticket metrics for [from_at, to_at): volumes, median and p90 reply and resolution times (calendar and business '
  'minutes), reopens, backlog at to_at, CSAT and SLA achievement; admins: all, agents: their queues (docs/reports.md).';

-- From 20261205072301_report_functions.sql (the newest definition); same arguments, checks and numbers. Each bucket
-- reads its own range (bounded by the period), so no fact's time is converted to the zone and the period is not sorted
-- by bucket. A count or CSAT series without an agent filter, by queue or not, whose buckets all start on a whole UTC
-- hour (every whole-hour zone) reads the hourly rollups for the period's whole hours and the facts (ratings) of its
-- partial first and last hours.
create or replace function public.report_timeseries(
  metric text, bucket text, from_at timestamptz, to_at timestamptz, group_by text default null,
  time_zone text default 'UTC', queue_id uuid default null, agent_id uuid default null)
returns table (bucket_start timestamptz, group_key text, value numeric, samples bigint)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
declare
  v_queues uuid[] := autocrm_private.report_queues(report_timeseries.queue_id);
  v_filter text := autocrm_private.report_filter(v_queues, report_timeseries.agent_id);
  v_kind text;
  v_value text;
  v_rollup text;
  v_source text := 'public.ticket_metric_facts';
  v_time text := 'f.occurred_at';
  v_group text;
  v_step interval;
  v_hours record;
  v_aligned boolean;
  v_buckets text := 'buckets as (select (l at time zone $6) as b, ((l + $8) at time zone $6) as e'
    || ' from generate_series(date_trunc($5, $1, $6) at time zone $6, $2 at time zone $6 - interval ''1 microsecond'', $8) l)';
begin
  perform autocrm_private.check_report_period(report_timeseries.from_at, report_timeseries.to_at);
  -- kind of fact read, the value of a bucket (with its samples), and the rollup columns of a count (count, satisfied)
  select m.kind, m.expr, m.rollup into v_kind, v_value, v_rollup
    from (values
      ('tickets_created', 'created', 'count(*)', 'f.created, 0'),
      ('tickets_solved', 'resolution', 'count(*)', 'f.solved, 0'),
      ('reopens', 'reopen', 'count(*)', 'f.reopens, 0'),
      ('first_reply_median', 'first_reply', 'percentile_cont(0.5) within group (order by f.calendar_minutes)', null),
      ('first_reply_p90', 'first_reply', 'percentile_cont(0.9) within group (order by f.calendar_minutes)', null),
      ('first_reply_median_business', 'first_reply', 'percentile_cont(0.5) within group (order by f.business_minutes)', null),
      ('next_reply_median', 'next_reply', 'percentile_cont(0.5) within group (order by f.calendar_minutes)', null),
      ('resolution_median', 'resolution', 'percentile_cont(0.5) within group (order by f.calendar_minutes)', null),
      ('resolution_p90', 'resolution', 'percentile_cont(0.9) within group (order by f.calendar_minutes)', null),
      ('resolution_median_business', 'resolution', 'percentile_cont(0.5) within group (order by f.business_minutes)', null),
      ('csat_percent', null, '100.0 * count(*) filter (where f.satisfied) / nullif(count(*), 0)', 'f.ratings, f.satisfied')
    ) as m (name, kind, expr, rollup)
   where m.name = report_timeseries.metric;
  if v_value is null then
    raise exception 'field "metric": "%" is not one of tickets_created, tickets_solved, reopens, first_reply_median, '
      'first_reply_p90, first_reply_median_business, next_reply_median, resolution_median, resolution_p90, '
      'resolution_median_business, csat_percent', left(coalesce(report_timeseries.metric, ''), 50)
      using errcode = '22023';
  end if;
  if report_timeseries.metric = 'csat_percent' then
    v_source := 'public.ticket_ratings';
    v_time := 'f.solved_at';
  end if;
  v_step := case report_timeseries.bucket when 'day' then interval '1 day' when 'week' then interval '7 days'
                                          when 'month' then interval '1 month' end;
  if v_step is null then
    raise exception 'field "bucket": "%" is not one of day, week, month', left(coalesce(report_timeseries.bucket, ''), 50)
      using errcode = '22023';
  end if;
  v_group := case coalesce(report_timeseries.group_by, '')
               when '' then 'null::text' when 'queue' then 'f.queue_id::text' when 'agent' then 'f.agent_id::text'
               when 'priority' then 'f.priority::text' when 'channel' then 'f.channel' end;
  if v_group is null then
    raise exception 'field "group_by": "%" is not one of queue, agent, priority, channel',
      left(report_timeseries.group_by, 50) using errcode = '22023';
  end if;
  begin
    perform pg_catalog.now() at time zone report_timeseries.time_zone;
  exception when invalid_parameter_value then
    raise exception 'field "time_zone": "%" is not an IANA time zone name (such as Europe/Berlin or America/New_York)',
      left(report_timeseries.time_zone, 100) using errcode = '22023';
  end;

  -- The rollups answer a count or CSAT series over queues (no agent, no grouping by agent, priority or channel: the
  -- rollups do not keep them) when no bucket starts inside a UTC hour.
  if v_rollup is not null and report_timeseries.agent_id is null and coalesce(report_timeseries.group_by, '') in ('', 'queue') then
    select bool_and(date_trunc('hour', l at time zone report_timeseries.time_zone, 'UTC') = l at time zone report_timeseries.time_zone)
      into v_aligned
      from generate_series(date_trunc(report_timeseries.bucket, report_timeseries.from_at, report_timeseries.time_zone)
                             at time zone report_timeseries.time_zone,
                           report_timeseries.to_at at time zone report_timeseries.time_zone - interval '1 microsecond',
                           v_step) l;
  end if;

  if v_aligned then
    v_hours := autocrm_private.report_whole_hours(report_timeseries.from_at, report_timeseries.to_at);
    -- Per bucket: its whole hours' rollup rows ($10 <= hour < $11), and the facts (ratings) of the partial hours at
    -- the period's ends ([$1, $10) and [$11, $2)), each one index range, bucketed by their time.
    return query execute
      'with ' || v_buckets || ','
      || ' parts as (select k.b, r.g, r.n, r.s from buckets k cross join lateral (select ' || v_group || ' as g, '
      || v_rollup || ' from autocrm_private.ticket_report_hourly f'
      || ' where f.hour >= greatest(k.b, $10) and f.hour < least(k.e, $11)' || v_filter || ') r (g, n, s)'
      || ' union all select date_trunc($5, ' || v_time || ', $6), ' || v_group || ', 1,'
      || case when v_kind is null then ' case when f.satisfied then 1 else 0 end' else ' 0' end
      || ' from ' || v_source || ' f where ' || v_time || ' >= $1 and ' || v_time || ' < $10'
      || case when v_kind is null then '' else ' and f.kind = $7' end || v_filter
      || ' union all select date_trunc($5, ' || v_time || ', $6), ' || v_group || ', 1,'
      || case when v_kind is null then ' case when f.satisfied then 1 else 0 end' else ' 0' end
      || ' from ' || v_source || ' f where ' || v_time || ' >= $11 and ' || v_time || ' < $2'
      || case when v_kind is null then '' else ' and f.kind = $7' end || v_filter || '),'
      || ' data as (select p.b, p.g, '
      || case when v_kind is null then '100.0 * sum(p.s) / nullif(sum(p.n), 0)' else 'sum(p.n)' end
      || ' as v, sum(p.n)::bigint as n from parts p group by 1, 2 having sum(p.n) > 0),'
      || ' groups as (select distinct d.g from data d union all select null::text where not exists (select 1 from data))'
      || ' select k.b, gr.g, case when $9 then coalesce(d.v, 0) else round(d.v, 2) end, coalesce(d.n, 0)'
      || ' from buckets k cross join groups gr'
      || ' left join data d on d.b = k.b and d.g is not distinct from gr.g'
      || ' order by 1, 2 nulls first'
      using report_timeseries.from_at, report_timeseries.to_at, v_queues, report_timeseries.agent_id,
            report_timeseries.bucket, report_timeseries.time_zone, v_kind, v_step,
            v_value = 'count(*)', v_hours.first_hour, v_hours.end_hour;
    return;
  end if;

  -- Every bucket of the period (local midnights of the zone; weeks start on Monday) for every group that has data;
  -- counts are 0 and other values null where a bucket has no samples. Each bucket reads the facts (ratings) of its
  -- part of the period.
  return query execute
    'with ' || v_buckets || ','
    || ' data as (select k.b, x.g, x.v, x.n from buckets k cross join lateral ('
    || ' select ' || v_group || ' as g, (' || v_value || ')::numeric as v, count(*) as n from ' || v_source || ' f'
    || ' where ' || v_time || ' >= greatest(k.b, $1) and ' || v_time || ' < least(k.e, $2)'
    || case when v_kind is null then '' else ' and f.kind = $7' end || v_filter
    || ' group by 1) x),'
    || ' groups as (select distinct d.g from data d union all select null::text where not exists (select 1 from data))'
    || ' select k.b, gr.g, case when $9 then coalesce(d.v, 0) else round(d.v, 2) end, coalesce(d.n, 0)'
    || ' from buckets k cross join groups gr'
    || ' left join data d on d.b = k.b and d.g is not distinct from gr.g'
    || ' order by 1, 2 nulls first'
    using report_timeseries.from_at, report_timeseries.to_at, v_queues, report_timeseries.agent_id,
          report_timeseries.bucket, report_timeseries.time_zone, v_kind, v_step,
          v_value = 'count(*)';
end;
$$;
comment on function public.report_timeseries(text, text, timestamptz, timestamptz, text, text, uuid, uuid) is
  'One metric per day, week (from Monday) or month of a time zone over [from_at, to_at), optionally per queue, agent, '
  'priority or channel; admins: all, agents: their queues (docs/reports.md).';

-- The report functions' statements are planned for each call and estimated as large (a bucket's range is not known
-- when planning), which made PostgreSQL compile them to machine code: 1-2 s of JIT for a query that runs in
-- milliseconds. report_summary and report_timeseries above turn it off; so does the leaderboard.
alter function public.report_agent_leaderboard(timestamptz, timestamptz, uuid) set jit = off;
