-- Analytics, part 2: the report functions over ticket_metric_facts, ticket_ratings and ticket_slas —
-- report_summary, report_timeseries and report_agent_leaderboard. Admins (and trusted callers) see everything, agents
-- their queues, customers and anonymous callers nothing (42501). docs/reports.md defines every number. Forward-only.
--
-- Each function builds its query from fixed fragments chosen by validated arguments (no caller text is ever part of
-- the SQL; every value is a parameter) and runs it with EXECUTE, so each call is planned for its own filters: a queue
-- filter reads the queue index, an agent filter the agent index, no filter the time index.

-- The queues a caller's report covers: null for every ticket (admins, trusted callers), else a list. p_queue_id
-- narrows it; an agent asking for a queue that is not theirs, or a customer asking at all, is refused.
create function autocrm_private.report_queues(p_queue_id uuid)
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_role public.app_role;
  v_queues uuid[];
begin
  if public.request_is_privileged() then
    return case when p_queue_id is null then null else array[p_queue_id] end;
  end if;
  v_role := public.current_app_role();
  if v_role = 'admin' then
    return case when p_queue_id is null then null else array[p_queue_id] end;
  end if;
  if v_role is distinct from 'agent' then
    raise exception 'reports are for agents and admins' using errcode = '42501';
  end if;
  v_queues := public.current_queue_ids();
  if p_queue_id is not null then
    if not p_queue_id = any (v_queues) then
      raise exception 'agents see the reports of their own queues only' using errcode = '42501';
    end if;
    return array[p_queue_id];
  end if;
  return v_queues;
end;
$$;

-- A reporting period: from before to, at most 400 days (a year and a bit, the longest period a report reads).
create function autocrm_private.check_report_period(p_from timestamptz, p_to timestamptz)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_from is null then
    raise exception 'field "from_at": a start is required' using errcode = '22023';
  end if;
  if p_to is null then
    raise exception 'field "to_at": an end is required' using errcode = '22023';
  end if;
  if p_to <= p_from then
    raise exception 'field "to_at": must be after from_at' using errcode = '22023';
  end if;
  if p_to - p_from > interval '400 days' then
    raise exception 'field "to_at": a report covers at most 400 days' using errcode = '22023';
  end if;
end;
$$;

-- The filter on a facts-shaped table (alias f) for a scope: $3 = queues (null: all), $4 = agent (null: all).
create function autocrm_private.report_filter(p_queues uuid[], p_agent uuid)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when p_queues is null then '' else ' and f.queue_id = any ($3)' end
      || case when p_agent is null then '' else ' and f.agent_id = $4' end;
$$;

-- ---------------------------------------------------------------------------
-- report_summary
-- ---------------------------------------------------------------------------
create function public.report_summary(
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

  -- Backlog at the end: tickets created before to_at, minus solves, plus reopens, before to_at. Not by agent (an
  -- agent's backlog would need the assignment history).
  if report_summary.agent_id is null then
    execute 'select count(*) filter (where f.kind <> ''resolution'') - count(*) filter (where f.kind = ''resolution'')'
         || ' from public.ticket_metric_facts f where f.kind in (''created'', ''resolution'', ''reopen'')'
         || ' and f.occurred_at < $2' || v_filter
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

  return query execute
    'select count(*) filter (where f.kind = ''created''),'
    || ' count(*) filter (where f.kind = ''resolution''),'
    || ' count(*) filter (where f.kind = ''first_reply''),'
    || ' round((percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.kind = ''first_reply''))::numeric, 2),'
    || ' round((percentile_cont(0.9) within group (order by f.calendar_minutes) filter (where f.kind = ''first_reply''))::numeric, 2),'
    || ' round((percentile_cont(0.5) within group (order by f.business_minutes) filter (where f.kind = ''first_reply''))::numeric, 2),'
    || ' round((percentile_cont(0.9) within group (order by f.business_minutes) filter (where f.kind = ''first_reply''))::numeric, 2),'
    || ' count(*) filter (where f.kind = ''next_reply''),'
    || ' round((percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.kind = ''next_reply''))::numeric, 2),'
    || ' round((percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.kind = ''resolution''))::numeric, 2),'
    || ' round((percentile_cont(0.9) within group (order by f.calendar_minutes) filter (where f.kind = ''resolution''))::numeric, 2),'
    || ' round((percentile_cont(0.5) within group (order by f.business_minutes) filter (where f.kind = ''resolution''))::numeric, 2),'
    || ' round((percentile_cont(0.9) within group (order by f.business_minutes) filter (where f.kind = ''resolution''))::numeric, 2),'
    || ' round((percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.kind = ''resolution'' and f.sequence = 1))::numeric, 2),'
    || ' round((percentile_cont(0.5) within group (order by f.replies) filter (where f.kind = ''resolution''))::numeric, 2),'
    || ' count(*) filter (where f.kind = ''reopen''),'
    || ' round(100.0 * count(*) filter (where f.kind = ''reopen'') / nullif(count(*) filter (where f.kind = ''resolution''), 0), 2),'
    || ' $5::bigint, $6::bigint, round(100.0 * $7 / nullif($6, 0), 2), $8::bigint, round(100.0 * $9 / nullif($8, 0), 2)'
    || ' from public.ticket_metric_facts f'
    || ' where f.kind in (''created'', ''first_reply'', ''next_reply'', ''resolution'', ''reopen'')'
    || ' and f.occurred_at >= $1 and f.occurred_at < $2' || v_filter
    using report_summary.from_at, report_summary.to_at, v_queues, report_summary.agent_id,
          v_backlog, v_ratings, v_satisfied, v_clocks, v_met;
end;
$$;
comment on function public.report_summary(timestamptz, timestamptz, uuid, uuid) is
  'Ticket metrics for [from_at, to_at): volumes, median and p90 reply and resolution times (calendar and business '
  'minutes), reopens, backlog at to_at, CSAT and SLA achievement; admins: all, agents: their queues (docs/reports.md).';

-- ---------------------------------------------------------------------------
-- report_timeseries
-- ---------------------------------------------------------------------------
create function public.report_timeseries(
  metric text, bucket text, from_at timestamptz, to_at timestamptz, group_by text default null,
  time_zone text default 'UTC', queue_id uuid default null, agent_id uuid default null)
returns table (bucket_start timestamptz, group_key text, value numeric, samples bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_queues uuid[] := autocrm_private.report_queues(report_timeseries.queue_id);
  v_filter text := autocrm_private.report_filter(v_queues, report_timeseries.agent_id);
  v_kind text;
  v_value text;
  v_source text := 'public.ticket_metric_facts';
  v_time text := 'f.occurred_at';
  v_group text;
  v_step interval;
begin
  perform autocrm_private.check_report_period(report_timeseries.from_at, report_timeseries.to_at);
  -- kind of fact read, and the value of a bucket (with its samples)
  select m.kind, m.expr into v_kind, v_value
    from (values
      ('tickets_created', 'created', 'count(*)'),
      ('tickets_solved', 'resolution', 'count(*)'),
      ('reopens', 'reopen', 'count(*)'),
      ('first_reply_median', 'first_reply', 'percentile_cont(0.5) within group (order by f.calendar_minutes)'),
      ('first_reply_p90', 'first_reply', 'percentile_cont(0.9) within group (order by f.calendar_minutes)'),
      ('first_reply_median_business', 'first_reply', 'percentile_cont(0.5) within group (order by f.business_minutes)'),
      ('next_reply_median', 'next_reply', 'percentile_cont(0.5) within group (order by f.calendar_minutes)'),
      ('resolution_median', 'resolution', 'percentile_cont(0.5) within group (order by f.calendar_minutes)'),
      ('resolution_p90', 'resolution', 'percentile_cont(0.9) within group (order by f.calendar_minutes)'),
      ('resolution_median_business', 'resolution', 'percentile_cont(0.5) within group (order by f.business_minutes)'),
      ('csat_percent', null, '100.0 * count(*) filter (where f.satisfied) / nullif(count(*), 0)')
    ) as m (name, kind, expr)
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

  -- Every bucket of the period (local midnights of the zone; weeks start on Monday) for every group that has data;
  -- counts are 0 and other values null where a bucket has no samples.
  return query execute
    'with data as ('
    || ' select date_trunc($5, ' || v_time || ', $6) as b, ' || v_group || ' as g, (' || v_value || ')::numeric as v,'
    || ' count(*) as n from ' || v_source || ' f'
    || ' where ' || v_time || ' >= $1 and ' || v_time || ' < $2'
    || case when v_kind is null then '' else ' and f.kind = $7' end || v_filter
    || ' group by 1, 2),'
    || ' buckets as (select (l at time zone $6) as b'
    || ' from generate_series(date_trunc($5, $1, $6) at time zone $6, $2 at time zone $6 - interval ''1 microsecond'', $8) l),'
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

-- ---------------------------------------------------------------------------
-- report_agent_leaderboard
-- ---------------------------------------------------------------------------
create function public.report_agent_leaderboard(from_at timestamptz, to_at timestamptz, queue_id uuid default null)
returns table (
  agent_id uuid,
  display_name text,
  replies bigint,
  tickets_solved bigint,
  first_reply_median_minutes numeric,
  resolution_median_minutes numeric,
  ratings bigint,
  csat_percent numeric)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_queues uuid[] := autocrm_private.report_queues(report_agent_leaderboard.queue_id);
  v_filter text := autocrm_private.report_filter(v_queues, null);
begin
  perform autocrm_private.check_report_period(report_agent_leaderboard.from_at, report_agent_leaderboard.to_at);
  return query execute
    'with facts as ('
    || ' select f.agent_id, count(*) filter (where f.kind in (''first_reply'', ''next_reply'')) as replies,'
    || ' count(*) filter (where f.kind = ''resolution'') as solved,'
    || ' percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.kind = ''first_reply'') as frt,'
    || ' percentile_cont(0.5) within group (order by f.calendar_minutes) filter (where f.kind = ''resolution'') as rt'
    || ' from public.ticket_metric_facts f'
    || ' where f.kind in (''first_reply'', ''next_reply'', ''resolution'') and f.agent_id is not null'
    || ' and f.occurred_at >= $1 and f.occurred_at < $2' || v_filter || ' group by f.agent_id),'
    || ' rated as (select f.agent_id, count(*) as n, count(*) filter (where f.satisfied) as good'
    || ' from public.ticket_ratings f where f.agent_id is not null and f.solved_at >= $1 and f.solved_at < $2'
    || v_filter || ' group by f.agent_id)'
    || ' select coalesce(a.agent_id, r.agent_id), p.display_name, coalesce(a.replies, 0), coalesce(a.solved, 0),'
    || ' round(a.frt::numeric, 2), round(a.rt::numeric, 2), coalesce(r.n, 0), round(100.0 * r.good / nullif(r.n, 0), 2)'
    || ' from facts a full join rated r on r.agent_id = a.agent_id'
    || ' left join public.profiles p on p.id = coalesce(a.agent_id, r.agent_id)'
    || ' order by 4 desc, 3 desc, 1'
    using report_agent_leaderboard.from_at, report_agent_leaderboard.to_at, v_queues, null::uuid;
end;
$$;
comment on function public.report_agent_leaderboard(timestamptz, timestamptz, uuid) is
  'Per agent over [from_at, to_at): answered replies, solves, median first reply and resolution minutes, CSAT; '
  'admins: all, agents: their queues (docs/reports.md).';

revoke execute on function autocrm_private.report_queues(uuid), autocrm_private.check_report_period(timestamptz, timestamptz),
  autocrm_private.report_filter(uuid[], uuid)
  from public, anon, authenticated, service_role;
revoke execute on function public.report_summary(timestamptz, timestamptz, uuid, uuid),
  public.report_timeseries(text, text, timestamptz, timestamptz, text, text, uuid, uuid),
  public.report_agent_leaderboard(timestamptz, timestamptz, uuid)
  from public, anon;
grant execute on function public.report_summary(timestamptz, timestamptz, uuid, uuid),
  public.report_timeseries(text, text, timestamptz, timestamptz, text, text, uuid, uuid),
  public.report_agent_leaderboard(timestamptz, timestamptz, uuid)
  to authenticated, service_role;
