-- pgTAP: the hourly report rollups (autocrm_private.ticket_report_hourly, docs/reports.md "Cost"). The fact and rating
-- triggers keep them equal to a count from the facts and ratings through creates, replies, solves, reopens, ratings
-- given and changed, and a deleted ticket; a rebuild gives the same; the count and CSAT series and the summary's counts
-- that read them equal a count of the facts themselves for periods that start and end inside an hour and for zones
-- whose midnights are whole UTC hours or not; nobody but the report functions reads or writes them.
BEGIN;
\ir _fixture.psql

select plan(19);

-- ============================ the dataset ============================
-- 60 tickets from 2026-03-01 00:00Z every 97 minutes over Q1, Q2 and no queue; a first reply 7n mod 300 minutes after
-- creation; three in four solved 13n minutes + 1 h after creation; every tenth solved one reopened (now); a rating
-- for every other solved one, satisfied when n is odd.
insert into public.tickets (id, subject, requester_id, queue_id, assignee_id, created_at)
select ('33000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'rollup ' || n,
       pg_temp.uid(case when n % 2 = 0 then 'cust_a' else 'cust_b' end),
       case n % 3 when 0 then pg_temp.qid(1) when 1 then pg_temp.qid(2) end, null,
       timestamptz '2026-03-01 00:00Z' + make_interval(mins => n * 97)
  from generate_series(1, 60) n;
insert into public.ticket_messages (ticket_id, author_id, body, created_at)
select t.id, pg_temp.uid('agent_in'), 'reply', t.created_at + make_interval(mins => 1 + (t.n * 7) % 300)
  from (select id, created_at, substr(subject, 8)::int as n from public.tickets where subject like 'rollup %') t;
update public.tickets t set status = 'solved', solved_at = t.created_at + make_interval(mins => 60 + substr(t.subject, 8)::int * 13)
 where t.subject like 'rollup %' and substr(t.subject, 8)::int % 4 <> 0;
update public.tickets t set status = 'open'
 where t.subject like 'rollup %' and substr(t.subject, 8)::int % 40 = 10;
insert into public.ticket_ratings (ticket_id, resolution, requester_id, scale, score, satisfied, solved_at, queue_id,
                                   agent_id, priority, channel, created_at, updated_at)
select f.ticket_id, f.sequence, t.requester_id, 'good_bad', (substr(t.subject, 8)::int % 2)::smallint,
       substr(t.subject, 8)::int % 2 = 1, f.occurred_at, f.queue_id, f.agent_id, f.priority, f.channel,
       f.occurred_at + interval '1 hour', f.occurred_at + interval '1 hour'
  from public.ticket_metric_facts f join public.tickets t on t.id = f.ticket_id
 where f.kind = 'resolution' and t.subject like 'rollup %' and substr(t.subject, 8)::int % 8 in (1, 2, 3, 5);

-- The rollups summed per hour and queue, and the same counted from the facts and ratings.
create function pg_temp.rollup_sums() returns table (hour timestamptz, queue_id uuid, created numeric, solved numeric,
  reopens numeric, first_replies numeric, next_replies numeric, ratings numeric, satisfied numeric)
language sql security definer as $r$
  select hour, queue_id, sum(created), sum(solved), sum(reopens), sum(first_replies), sum(next_replies), sum(ratings),
         sum(satisfied)
    from autocrm_private.ticket_report_hourly group by 1, 2
  having sum(created) <> 0 or sum(solved) <> 0 or sum(reopens) <> 0 or sum(first_replies) <> 0 or sum(next_replies) <> 0
      or sum(ratings) <> 0 or sum(satisfied) <> 0
$r$;
create function pg_temp.counted() returns table (hour timestamptz, queue_id uuid, created numeric, solved numeric,
  reopens numeric, first_replies numeric, next_replies numeric, ratings numeric, satisfied numeric)
language sql security definer as $c$
  select c.hour, c.queue_id, sum(c.created), sum(c.solved), sum(c.reopens), sum(c.first_replies), sum(c.next_replies),
         sum(c.ratings), sum(c.satisfied)
    from (select date_trunc('hour', f.occurred_at, 'UTC') as hour, f.queue_id,
                 count(*) filter (where f.kind = 'created') as created, count(*) filter (where f.kind = 'resolution') as solved,
                 count(*) filter (where f.kind = 'reopen') as reopens, count(*) filter (where f.kind = 'first_reply') as first_replies,
                 count(*) filter (where f.kind = 'next_reply') as next_replies, 0 as ratings, 0 as satisfied
            from public.ticket_metric_facts f group by 1, 2
          union all
          select date_trunc('hour', r.solved_at, 'UTC'), r.queue_id, 0, 0, 0, 0, 0, count(*), count(*) filter (where r.satisfied)
            from public.ticket_ratings r group by 1, 2) c
   group by 1, 2
$c$;

-- A series counted from the facts (ratings) one by one, as report_timeseries defines it (docs/reports.md): every
-- bucket of the zone from the one containing from_at, every group with data, facts inside [from_at, to_at) only.
create function pg_temp.counted_series(p_metric text, p_bucket text, p_from timestamptz, p_to timestamptz,
  p_group text, p_zone text)
returns table (bucket_start timestamptz, group_key text, value numeric, samples bigint)
language plpgsql security definer as $s$
declare
  v_kind text := case p_metric when 'tickets_created' then 'created' when 'tickets_solved' then 'resolution'
                               when 'reopens' then 'reopen' end;
begin
  return query execute
    'with src as ('
    || case when v_kind is null then 'select r.solved_at as t, r.queue_id, r.satisfied as s from public.ticket_ratings r'
            else 'select f.occurred_at as t, f.queue_id, false as s from public.ticket_metric_facts f where f.kind = $7' end
    || '), data as (select date_trunc($5, x.t, $6) as b, ' || case when p_group is null then 'null::text' else 'x.queue_id::text' end
    || ' as g, ' || case when v_kind is null then '100.0 * count(*) filter (where x.s) / nullif(count(*), 0)' else 'count(*)::numeric' end
    || ' as v, count(*) as n from src x where x.t >= $1 and x.t < $2 group by 1, 2),'
    || ' buckets as (select (l at time zone $6) as b from generate_series(date_trunc($5, $1, $6) at time zone $6,'
    || ' $2 at time zone $6 - interval ''1 microsecond'', $3) l),'
    || ' groups as (select distinct d.g from data d union all select null::text where not exists (select 1 from data))'
    || ' select k.b, gr.g, case when $4 then coalesce(d.v, 0) else round(d.v, 2) end, coalesce(d.n, 0)'
    || ' from buckets k cross join groups gr left join data d on d.b = k.b and d.g is not distinct from gr.g'
    || ' order by 1, 2 nulls first'
    using p_from, p_to, case p_bucket when 'day' then interval '1 day' when 'week' then interval '7 days' else interval '1 month' end,
          v_kind is not null, p_bucket, p_zone, v_kind;
end;
$s$;

-- ============================ kept by the triggers ============================
select set_eq($$select * from pg_temp.rollup_sums()$$, $$select * from pg_temp.counted()$$,
  'the rollups equal a count of the facts and ratings after creates, replies, solves, reopens and ratings');
select ok((select sum(ratings) from pg_temp.rollup_sums()) > 0 and (select sum(reopens) from pg_temp.rollup_sums()) > 0,
  'the dataset has ratings and reopens');

-- A changed rating (rate_ticket changes score and satisfied together) moves its count; a deleted ticket takes its
-- facts and ratings out.
update public.ticket_ratings r set score = 1 - r.score, satisfied = not r.satisfied
 where r.ticket_id in (select id from public.tickets where subject in ('rollup 1', 'rollup 2', 'rollup 3'));
select set_eq($$select * from pg_temp.rollup_sums()$$, $$select * from pg_temp.counted()$$,
  'changed ratings move between satisfied and not');
delete from public.tickets where subject in ('rollup 5', 'rollup 6', 'rollup 7');
select set_eq($$select * from pg_temp.rollup_sums()$$, $$select * from pg_temp.counted()$$,
  'a deleted ticket''s facts and ratings leave the rollups');

-- ============================ read by the reports, with the same numbers as the facts ============================
-- Berlin's and New York's midnights are whole UTC hours (rollups); Kolkata's (+05:30) are not (facts); periods start
-- and end inside an hour; by queue and not.
select results_eq(
  $$select * from public.report_timeseries('tickets_created', 'day', '2026-03-01 07:20Z', '2026-03-04 13:45Z', null, 'Europe/Berlin')$$,
  $$select * from pg_temp.counted_series('tickets_created', 'day', '2026-03-01 07:20Z', '2026-03-04 13:45Z', null, 'Europe/Berlin')$$,
  'created per Berlin day, partial first and last hours');
select results_eq(
  $$select * from public.report_timeseries('tickets_solved', 'day', '2026-03-01 00:10Z', '2026-03-05 00:00Z', 'queue', 'America/New_York')$$,
  $$select * from pg_temp.counted_series('tickets_solved', 'day', '2026-03-01 00:10Z', '2026-03-05 00:00Z', 'queue', 'America/New_York')$$,
  'solved per New York day and queue');
select results_eq(
  $$select * from public.report_timeseries('tickets_created', 'day', '2026-03-01 07:20Z', '2026-03-04 13:45Z', 'queue', 'Asia/Kolkata')$$,
  $$select * from pg_temp.counted_series('tickets_created', 'day', '2026-03-01 07:20Z', '2026-03-04 13:45Z', 'queue', 'Asia/Kolkata')$$,
  'created per Kolkata day (half-hour midnights: read from the facts)');
select results_eq(
  $$select * from public.report_timeseries('reopens', 'week', '2026-03-01 00:00Z', '2026-12-31 00:00Z', null, 'UTC')$$,
  $$select * from pg_temp.counted_series('reopens', 'week', '2026-03-01 00:00Z', '2026-12-31 00:00Z', null, 'UTC')$$,
  'reopens per week');
select results_eq(
  $$select * from public.report_timeseries('csat_percent', 'day', '2026-03-01 05:05Z', '2026-03-05 22:30Z', 'queue', 'Europe/Berlin')$$,
  $$select * from pg_temp.counted_series('csat_percent', 'day', '2026-03-01 05:05Z', '2026-03-05 22:30Z', 'queue', 'Europe/Berlin')$$,
  'CSAT per Berlin day and queue');
select results_eq(
  $$select * from public.report_timeseries('csat_percent', 'month', '2026-02-15 05:05Z', '2026-03-31 22:30Z', null, 'Asia/Tokyo')$$,
  $$select * from pg_temp.counted_series('csat_percent', 'month', '2026-02-15 05:05Z', '2026-03-31 22:30Z', null, 'Asia/Tokyo')$$,
  'CSAT per Tokyo month');
select results_eq(
  $$select * from public.report_timeseries('tickets_created', 'day', '2026-03-02 10:05Z', '2026-03-02 10:50Z', 'queue', 'UTC')$$,
  $$select * from pg_temp.counted_series('tickets_created', 'day', '2026-03-02 10:05Z', '2026-03-02 10:50Z', 'queue', 'UTC')$$,
  'a period inside one hour');
select results_eq(
  $$select s.tickets_created, s.tickets_solved, s.first_reply_count, s.next_reply_count, s.reopens, s.ratings, s.csat_percent
      from public.report_summary('2026-03-01 07:20Z', '2026-03-03 13:45Z') s$$,
  $$select count(*) filter (where f.kind = 'created'), count(*) filter (where f.kind = 'resolution'),
           count(*) filter (where f.kind = 'first_reply'), count(*) filter (where f.kind = 'next_reply'),
           count(*) filter (where f.kind = 'reopen'),
           (select count(*) from public.ticket_ratings r where r.solved_at >= '2026-03-01 07:20Z' and r.solved_at < '2026-03-03 13:45Z'),
           (select round(100.0 * count(*) filter (where r.satisfied) / nullif(count(*), 0), 2) from public.ticket_ratings r
             where r.solved_at >= '2026-03-01 07:20Z' and r.solved_at < '2026-03-03 13:45Z')
      from public.ticket_metric_facts f where f.occurred_at >= '2026-03-01 07:20Z' and f.occurred_at < '2026-03-03 13:45Z'$$,
  'the summary''s counts over all queues equal the facts''');
select results_eq(
  $$select s.tickets_created, s.tickets_solved, s.first_reply_count, s.ratings
      from public.report_summary('2026-03-01 07:20Z', '2026-03-04 13:45Z', pg_temp.qid(2)) s$$,
  $$select count(*) filter (where f.kind = 'created'), count(*) filter (where f.kind = 'resolution'),
           count(*) filter (where f.kind = 'first_reply'),
           (select count(*) from public.ticket_ratings r where r.queue_id = pg_temp.qid(2)
               and r.solved_at >= '2026-03-01 07:20Z' and r.solved_at < '2026-03-04 13:45Z')
      from public.ticket_metric_facts f where f.queue_id = pg_temp.qid(2)
       and f.occurred_at >= '2026-03-01 07:20Z' and f.occurred_at < '2026-03-04 13:45Z'$$,
  'the summary''s counts for one queue equal the facts''');

-- ============================ a rebuild gives the same ============================
create temp table kept as select * from pg_temp.rollup_sums();
select autocrm_private.rebuild_ticket_report_hourly();
select set_eq($$select * from pg_temp.rollup_sums()$$, $$select * from kept$$,
  'a rebuild from the facts and ratings equals what the triggers kept');

-- ============================ nobody reads or writes them directly ============================
select pg_temp.act_as('admin');
select throws_ok($$select count(*) from autocrm_private.ticket_report_hourly$$, '42501', null,
  'an admin cannot read the rollups directly (only the report functions do)');
select pg_temp.act_as('agent_in');
select throws_ok($$select count(*) from autocrm_private.ticket_report_hourly$$, '42501', null,
  'an agent cannot read the rollups');
select pg_temp.act_as('cust_a');
select throws_ok($$select count(*) from autocrm_private.ticket_report_hourly$$, '42501', null,
  'a customer cannot read the rollups');
select pg_temp.act_as('anon');
select throws_ok($$select count(*) from autocrm_private.ticket_report_hourly$$, '42501', null,
  'anonymous callers cannot read the rollups');
select pg_temp.act_as('service_role');
select throws_ok($$select autocrm_private.add_ticket_report_hourly(now(), null, 1, 0, 0, 0, 0, 0, 0)$$, '42501', null,
  'not even the service role adds to them by hand');
select pg_temp.act_as('postgres');

select * from finish();
ROLLBACK;
