-- pgTAP: metric facts, CSAT ratings and the report functions on a fixed dataset whose every number is worked out by
-- hand below (first reply, next reply, resolution, backlog, reopens, CSAT, SLA achievement; calendar and business
-- minutes), and who may read and call what: anon, customer, other customer, agent in and out of the queue, admin,
-- service_role. The dataset is written as the database owner with explicit timestamps (trusted writers keep them);
-- a reopen happens at now(), so the reopen checks use a window around now().
BEGIN;
\ir _fixture.psql

select plan(71);

-- ============================ the dataset ============================
-- Calendar: Monday-Friday 09:00-17:00 UTC. 2026-03-02 is a Monday.
insert into public.business_hours (id, name, time_zone, intervals) values
  ('50000000-0000-4000-8000-000000000001', 'Office', 'UTC',
   '[{"day": "monday", "start": "09:00", "end": "17:00"}, {"day": "tuesday", "start": "09:00", "end": "17:00"},
     {"day": "wednesday", "start": "09:00", "end": "17:00"}, {"day": "thursday", "start": "09:00", "end": "17:00"},
     {"day": "friday", "start": "09:00", "end": "17:00"}]');
update public.report_settings set business_hours_id = '50000000-0000-4000-8000-000000000001';

create function pg_temp.rid(p_name text) returns uuid language sql immutable as $r$
  select ('31000000-0000-4000-8000-0000000000' || p_name)::uuid
$r$;
create function pg_temp.ticket_at(p_name text, p_requester text, p_queue int, p_assignee text, p_priority text,
                                   p_channel text, p_at timestamptz) returns void language sql as $t$
  insert into public.tickets (id, subject, requester_id, queue_id, assignee_id, priority, metadata, created_at)
  values (pg_temp.rid(p_name), 'ticket ' || p_name, pg_temp.uid(p_requester), pg_temp.qid(p_queue), pg_temp.uid(p_assignee),
          p_priority::public.ticket_priority, jsonb_build_object('channel', p_channel), p_at)
$t$;
create function pg_temp.say_at(p_name text, p_who text, p_at timestamptz) returns void language sql as $s$
  insert into public.ticket_messages (ticket_id, author_id, body, created_at)
  values (pg_temp.rid(p_name), pg_temp.uid(p_who), 'from ' || p_who, p_at)
$s$;
create function pg_temp.solve_at(p_name text, p_at timestamptz) returns void language sql as $s$
  update public.tickets set status = 'solved', solved_at = p_at where id = pg_temp.rid(p_name)
$s$;
create function pg_temp.fact(p_name text, p_kind text, p_sequence int default null)
returns public.ticket_metric_facts language sql security definer as $f$
  select * from public.ticket_metric_facts
   where ticket_id = pg_temp.rid(p_name) and kind = p_kind and (p_sequence is null or sequence = p_sequence)
   order by id desc limit 1
$f$;
create function pg_temp.fact_t(p_n int) returns public.ticket_metric_facts language sql security definer as $f$
  select * from public.ticket_metric_facts where ticket_id = pg_temp.tid(p_n) and kind = 'first_reply'
$f$;
-- rate_ticket at a given instant, as the caller the test acts as (auth.uid() reads the caller's claims).
create function pg_temp.rate_at(p_ticket uuid, p_rating text, p_comment text, p_now timestamptz)
returns public.ticket_ratings language sql security definer as $r$
  select * from autocrm_private.rate_ticket(p_ticket, p_rating, p_comment, p_now)
$r$;
create function pg_temp.summary(p_from timestamptz, p_to timestamptz, p_queue uuid default null, p_agent uuid default null)
returns jsonb language sql as $s$
  select to_jsonb(s) from public.report_summary(p_from, p_to, p_queue, p_agent) s
$s$;

-- A: Q1, normal, email, assigned to agent_in. Created Mon 08:00; first reply 09:30 (90 min; business 09:00-09:30 =
--    30); customer writes 10:00 and 10:10; agent answers 10:40 (next reply 40 from the oldest unanswered, business 40);
--    again 10:50 (nothing unanswered: no fact); solved 12:00 (resolution 240; business 180; 3 staff replies).
select pg_temp.ticket_at('0a', 'cust_a', 1, 'agent_in', 'normal', 'email', '2026-03-02 08:00Z');
select pg_temp.say_at('0a', 'cust_a', '2026-03-02 08:00Z');
select pg_temp.say_at('0a', 'agent_in', '2026-03-02 09:30Z');
select pg_temp.say_at('0a', 'cust_a', '2026-03-02 10:00Z');
select pg_temp.say_at('0a', 'cust_a', '2026-03-02 10:10Z');
insert into public.ticket_messages (ticket_id, author_id, visibility, body, created_at)
values (pg_temp.rid('0a'), pg_temp.uid('agent_in'), 'internal', 'a note measures nothing', '2026-03-02 10:20Z');
select pg_temp.say_at('0a', 'agent_in', '2026-03-02 10:40Z');
select pg_temp.say_at('0a', 'agent_in', '2026-03-02 10:50Z');
select pg_temp.solve_at('0a', '2026-03-02 12:00Z');
-- B: Q1, high, web, agent_in, requester cust_b. Created Fri 03-06 16:00; first reply Mon 03-09 09:15 (65 h 15 min =
--    3915; business 16:00-17:00 + 09:00-09:15 = 75); solved Mon 10:00 (3960; business 60 + 60 = 120; 1 reply).
select pg_temp.ticket_at('0b', 'cust_b', 1, 'agent_in', 'high', 'web', '2026-03-06 16:00Z');
select pg_temp.say_at('0b', 'agent_in', '2026-03-09 09:15Z');
select pg_temp.solve_at('0b', '2026-03-09 10:00Z');
-- C: Q2, normal, email, agent_out. Created Tue 03-03 10:00; first reply 10:20 (20; business 20); solved 11:00 (60; 60).
select pg_temp.ticket_at('0c', 'cust_a', 2, 'agent_out', 'normal', 'email', '2026-03-03 10:00Z');
select pg_temp.say_at('0c', 'agent_out', '2026-03-03 10:20Z');
select pg_temp.solve_at('0c', '2026-03-03 11:00Z');
-- D: Q1, low, web, unassigned. Created Wed 03-04 09:00; never answered: the backlog at the end of March.
select pg_temp.ticket_at('0d', 'cust_a', 1, null, 'low', 'web', '2026-03-04 09:00Z');
-- E: Q1, normal, email, agent_in. Created Fri 02-27 12:00 (before March); first reply 12:30 (in February);
--    solved Mon 03-02 12:00 (72 h = 4320; business 12:00-17:00 + 09:00-12:00 = 480; 1 reply).
select pg_temp.ticket_at('0e', 'cust_b', 1, 'agent_in', 'normal', 'email', '2026-02-27 12:00Z');
select pg_temp.say_at('0e', 'agent_in', '2026-02-27 12:30Z');
select pg_temp.solve_at('0e', '2026-03-02 12:00Z');
-- SLA clocks that ended in March (written directly: this file has no SLA policy): met, breached (then met late), met.
insert into public.ticket_slas (ticket_id, metric, target_minutes, started_at, fulfilled_at, breached_at) values
  (pg_temp.rid('0a'), 'first_reply', 120, '2026-03-02 08:00Z', '2026-03-02 09:30Z', null),
  (pg_temp.rid('0b'), 'first_reply', 60, '2026-03-06 16:00Z', '2026-03-09 09:15Z', '2026-03-06 17:00Z'),
  (pg_temp.rid('0c'), 'resolution', 240, '2026-03-03 10:00Z', '2026-03-03 11:00Z', null);

-- ============================ facts ============================
select is((pg_temp.fact('0a', 'first_reply')).calendar_minutes, 90.0000, 'first reply: creation to the first public staff reply');
select is((pg_temp.fact('0a', 'first_reply')).business_minutes, 30.0000, 'first reply in business minutes (the calendar opens at 09:00)');
select is((pg_temp.fact('0a', 'next_reply')).calendar_minutes, 40.0000,
  'next reply: from the oldest requester message since the last answered reply (10:00, not 10:10); an internal note answers nothing');
select is((select count(*) from public.ticket_metric_facts where ticket_id = pg_temp.rid('0a') and kind = 'next_reply'), 1::bigint,
  'a staff reply with nothing unanswered (10:50) writes no fact');
select is((pg_temp.fact('0a', 'resolution')).calendar_minutes, 240.0000, 'resolution: creation to the solve');
select is((pg_temp.fact('0a', 'resolution')).business_minutes, 180.0000, 'resolution in business minutes');
select is((pg_temp.fact('0a', 'resolution')).replies, 3, 'replies to resolution: public staff replies before the solve');
select is((pg_temp.fact('0b', 'first_reply')).calendar_minutes, 3915.0000, 'a first reply across a weekend, calendar minutes');
select is((pg_temp.fact('0b', 'first_reply')).business_minutes, 75.0000, 'the weekend is not business time');
select is(((pg_temp.fact('0b', 'resolution')).agent_id, (pg_temp.fact('0b', 'resolution')).queue_id,
           (pg_temp.fact('0b', 'resolution')).priority, (pg_temp.fact('0b', 'resolution')).channel),
          (pg_temp.uid('agent_in'), pg_temp.qid(1), 'high'::public.ticket_priority, 'web'::text),
  'a fact keeps the agent, queue, priority and channel of its moment');
select is((pg_temp.fact('0b', 'resolution')).sequence, 1, 'the first solve is resolution 1');
select throws_ok($$update public.ticket_metric_facts set calendar_minutes = 0$$, '42501', 'metric facts are immutable',
  'facts cannot be changed, even by the database owner');

-- ============================ ratings ============================
select pg_temp.act_as('cust_a');
select is((pg_temp.rate_at(pg_temp.rid('0a'), 'good', ' quick! ', '2026-03-02 13:00Z')).satisfied, true,
  'the requester rates a solved ticket');
select throws_ok($$select pg_temp.rate_at(pg_temp.rid('0b'), 'good', null, '2026-03-09 11:00Z')$$, 'PT404', null,
  'another customer''s ticket cannot be rated (not found)');
select throws_ok($$select pg_temp.rate_at(pg_temp.rid('0d'), 'good', null, '2026-03-09 11:00Z')$$, 'PT409', null,
  'a ticket that is not solved cannot be rated');
select throws_ok($$select pg_temp.rate_at(pg_temp.rid('0c'), 'excellent', null, '2026-03-03 12:00Z')$$, '23514',
  'field "rating": "excellent" is not one of good, bad', 'a value off the scale is refused, naming the field');
select throws_ok($$select pg_temp.rate_at(pg_temp.rid('0c'), 'good', repeat('x', 2001), '2026-03-03 12:00Z')$$,
  '23514', 'field "comment": at most 2000 characters', 'a comment is at most 2000 characters');
select lives_ok($$select pg_temp.rate_at(pg_temp.rid('0c'), 'good', null, '2026-03-03 12:00Z')$$, 'C rated good');
select is((pg_temp.rate_at(pg_temp.rid('0c'), 'bad', 'changed my mind', '2026-03-10 12:00Z')).score, 0::smallint,
  'a rating can be changed until 7 days after it was given');
select throws_ok($$select pg_temp.rate_at(pg_temp.rid('0c'), 'good', null, '2026-03-10 12:00:01Z')$$, '42501', null,
  'and not after');
select is((select count(*) from public.ticket_ratings where ticket_id = pg_temp.rid('0c')), 1::bigint, 'once per solve: one row');
select throws_ok($$insert into public.ticket_ratings (ticket_id, resolution, requester_id, scale, score, satisfied, solved_at, priority, created_at, updated_at)
                   values (pg_temp.rid('0c'), 9, auth.uid(), 'good_bad', 1, true, now(), 'normal', now(), now())$$,
  '42501', null, 'ratings are written only through rate_ticket');
select is((select count(*) from public.ticket_ratings), 2::bigint, 'a customer reads their own ratings');
select pg_temp.act_as('cust_b');
select lives_ok($$select pg_temp.rate_at(pg_temp.rid('0b'), 'bad', 'slow', '2026-03-09 12:00Z')$$, 'B rated bad');
select is((select count(*) from public.ticket_ratings), 1::bigint, 'the other customer reads only theirs');
select pg_temp.act_as('agent_in');
select is((select array_agg(ticket_id order by ticket_id) from public.ticket_ratings), array[pg_temp.rid('0a'), pg_temp.rid('0b')],
  'an agent reads the ratings of the tickets they see (their queue), not of other queues');
select pg_temp.act_as('admin');
select is((select count(*) from public.ticket_ratings), 3::bigint, 'an admin reads every rating');
select pg_temp.act_as('anon');
select throws_ok($$select count(*) from public.ticket_ratings$$, '42501', null, 'anon cannot read ratings');
select throws_ok($$select public.rate_ticket(pg_temp.rid('0a'), 'good')$$, '42501', null, 'anon cannot rate');

-- Who reads facts and settings.
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_metric_facts), 0::bigint, 'customers read no fact');
select is((select csat_scale from public.report_settings), 'good_bad', 'customers read the scale (the rating prompt shows it)');
select is(pg_temp.affected($$update public.report_settings set csat_scale = 'five_point'$$), 0::bigint, 'customers cannot change settings');
select pg_temp.act_as('agent_out');
select is((select count(*) from public.ticket_metric_facts where ticket_id in (pg_temp.rid('0a'), pg_temp.rid('0c'))), 3::bigint,
  'an agent reads the facts of their queues only (C: created, first reply, resolution)');

-- ============================ report_summary (March, by hand) ============================
-- created A B C D = 4 (E was created in February); solved A B C E = 4
-- first reply 90, 3915, 20: median 90, p90 = 90 + 0.8 * (3915 - 90) = 3150; business 30, 75, 20: median 30,
--   p90 = 30 + 0.8 * 45 = 66
-- resolution 60, 240, 3960, 4320: median 2100, p90 = 3960 + 0.7 * 360 = 4212; business 60, 120, 180, 480: median 150,
--   p90 = 180 + 0.7 * 300 = 390; replies to resolution 1, 1, 1, 3: median 1
-- backlog at the end: 5 created before April - 4 solved = 1 (D); CSAT: A good, B bad, C bad = 33.33 %
-- SLA: 3 clocks ended, 1 breached: 66.67 %
select pg_temp.act_as('admin');
select is(pg_temp.summary('2026-03-01Z', '2026-04-01Z'), jsonb_build_object(
  'tickets_created', 4, 'tickets_solved', 4,
  'first_reply_count', 3, 'first_reply_median_minutes', 90.00, 'first_reply_p90_minutes', 3150.00,
  'first_reply_median_business_minutes', 30.00, 'first_reply_p90_business_minutes', 66.00,
  'next_reply_count', 1, 'next_reply_median_minutes', 40.00,
  'resolution_median_minutes', 2100.00, 'resolution_p90_minutes', 4212.00,
  'resolution_median_business_minutes', 150.00, 'resolution_p90_business_minutes', 390.00,
  'first_resolution_median_minutes', 2100.00, 'replies_to_resolution_median', 1.00,
  'reopens', 0, 'reopen_rate_percent', 0.00, 'backlog_at_end', 1,
  'ratings', 3, 'csat_percent', 33.33, 'sla_clocks', 3, 'sla_achievement_percent', 66.67),
  'the March summary is exactly the hand-computed numbers');
select is(pg_temp.summary('2026-03-01Z', '2026-04-01Z', pg_temp.qid(2)) - array['first_reply_p90_minutes', 'first_reply_p90_business_minutes',
          'first_reply_median_business_minutes', 'resolution_p90_minutes', 'resolution_median_business_minutes',
          'resolution_p90_business_minutes', 'next_reply_count', 'next_reply_median_minutes', 'reopens', 'reopen_rate_percent',
          'first_resolution_median_minutes', 'replies_to_resolution_median', 'sla_clocks', 'sla_achievement_percent'],
  jsonb_build_object('tickets_created', 1, 'tickets_solved', 1, 'first_reply_count', 1, 'first_reply_median_minutes', 20.00,
    'resolution_median_minutes', 60.00, 'backlog_at_end', 0, 'ratings', 1, 'csat_percent', 0.00),
  'a queue filter: queue 2 has only C');
select is(pg_temp.summary('2026-03-01Z', '2026-04-01Z', null, pg_temp.uid('agent_in'))
            - array['first_reply_p90_minutes', 'first_reply_median_business_minutes', 'first_reply_p90_business_minutes',
                    'resolution_p90_minutes', 'resolution_median_business_minutes', 'resolution_p90_business_minutes',
                    'first_resolution_median_minutes', 'replies_to_resolution_median', 'reopens', 'reopen_rate_percent',
                    'next_reply_count', 'next_reply_median_minutes', 'sla_clocks', 'sla_achievement_percent'],
  jsonb_build_object('tickets_created', 2, 'tickets_solved', 3, 'first_reply_count', 2, 'first_reply_median_minutes', 2002.50,
    'resolution_median_minutes', 3960.00, 'backlog_at_end', null, 'ratings', 2, 'csat_percent', 50.00),
  'an agent filter: facts of agent_in (created A B as assignee, solved A B E, replied A B); no backlog by agent');
select is((pg_temp.summary('2026-03-02Z', '2026-03-05Z')) -> 'backlog_at_end', '1'::jsonb,
  'backlog at an earlier end: A, C, D and E created before it, A, C and E solved (B comes later)');

select pg_temp.act_as('agent_in');
select is(pg_temp.summary('2026-03-01Z', '2026-04-01Z') - array['first_reply_p90_minutes', 'first_reply_median_business_minutes',
          'first_reply_p90_business_minutes', 'resolution_p90_minutes', 'resolution_median_business_minutes',
          'resolution_p90_business_minutes', 'first_resolution_median_minutes', 'replies_to_resolution_median',
          'next_reply_count', 'next_reply_median_minutes', 'reopens', 'reopen_rate_percent', 'sla_clocks', 'sla_achievement_percent'],
  jsonb_build_object('tickets_created', 3, 'tickets_solved', 3, 'first_reply_count', 2, 'first_reply_median_minutes', 2002.50,
    'resolution_median_minutes', 3960.00, 'backlog_at_end', 1, 'ratings', 2, 'csat_percent', 50.00),
  'an agent''s report covers only their queues (queue 1: A B D created, A B E solved)');
select throws_ok($$select * from public.report_summary('2026-03-01Z', '2026-04-01Z', pg_temp.qid(2))$$, '42501',
  'agents see the reports of their own queues only', 'an agent asking for another queue is refused');
select pg_temp.act_as('cust_a');
select throws_ok($$select * from public.report_summary('2026-03-01Z', '2026-04-01Z')$$, '42501',
  'reports are for agents and admins', 'a customer gets a permission error');
select throws_ok($$select * from public.report_agent_leaderboard('2026-03-01Z', '2026-04-01Z')$$, '42501',
  'reports are for agents and admins', 'a customer gets no leaderboard');
select pg_temp.act_as('anon');
select throws_ok($$select * from public.report_timeseries('tickets_created', 'day', '2026-03-01Z', '2026-04-01Z')$$, '42501', null,
  'anon cannot call the reports');
select pg_temp.act_as('service_role');
select is((pg_temp.summary('2026-03-01Z', '2026-04-01Z')) -> 'tickets_created', '4'::jsonb, 'the service role reads everything');
select pg_temp.act_as('admin');
select throws_ok($$select * from public.report_summary('2026-04-01Z', '2026-03-01Z')$$, '22023',
  'field "to_at": must be after from_at', 'a period must end after it starts');
select throws_ok($$select * from public.report_summary('2025-01-01Z', '2026-04-01Z')$$, '22023',
  'field "to_at": a report covers at most 400 days', 'a period is at most 400 days');

-- ============================ report_timeseries ============================
select is((select array_agg(value order by bucket_start) from public.report_timeseries('tickets_created', 'day', '2026-03-02Z', '2026-03-07Z')),
  array[1, 1, 1, 0, 1]::numeric[], 'tickets created per UTC day, Monday to Friday (Thursday: none)');
select is((select array_agg(to_char(bucket_start at time zone 'UTC', 'MM-DD HH24:MI') || '=' || value order by bucket_start)
             from public.report_timeseries('tickets_created', 'day', '2026-03-06 00:00+09', '2026-03-08 00:00+09', null, 'Asia/Tokyo')),
  array['03-05 15:00=0', '03-06 15:00=1'],
  'days of a time zone: B (Friday 16:00 UTC) is created on Saturday in Tokyo, whose days start at 15:00 UTC');
select is((select array_agg(group_key || '@' || to_char(bucket_start at time zone 'UTC', 'MM-DD') || '=' || value order by bucket_start, group_key)
             from public.report_timeseries('tickets_solved', 'week', '2026-03-01Z', '2026-03-16Z', 'queue')),
  array[pg_temp.qid(1) || '@02-23=0', pg_temp.qid(2) || '@02-23=0', pg_temp.qid(1) || '@03-02=2', pg_temp.qid(2) || '@03-02=1',
        pg_temp.qid(1) || '@03-09=1', pg_temp.qid(2) || '@03-09=0'],
  'weeks start on Monday; solves per queue (A and E in queue 1, C in queue 2, then B)');
select is((select array_agg(group_key || '=' || value || '/' || samples order by group_key)
             from public.report_timeseries('first_reply_median', 'month', '2026-03-01Z', '2026-04-01Z', 'channel')),
  array['email=55.00/2', 'web=3915.00/1'], 'median first reply per month by channel (email: A 90 and C 20)');
select is((select array_agg(group_key || '=' || value order by group_key)
             from public.report_timeseries('resolution_median_business', 'month', '2026-03-01Z', '2026-04-01Z', 'priority')),
  array['high=120.00', 'normal=180.00'], 'business-minute resolution median by priority (normal: 60, 180, 480)');
select is((select value from public.report_timeseries('csat_percent', 'month', '2026-03-01Z', '2026-04-01Z')), 33.33,
  'CSAT per month');
select throws_ok($$select * from public.report_timeseries('tickets', 'day', '2026-03-01Z', '2026-04-01Z')$$, '22023', null,
  'an unknown metric is refused');
select throws_ok($$select * from public.report_timeseries('tickets_created', 'hour', '2026-03-01Z', '2026-04-01Z')$$, '22023',
  'field "bucket": "hour" is not one of day, week, month', 'an unknown bucket is refused');
select throws_ok($$select * from public.report_timeseries('tickets_created', 'day', '2026-03-01Z', '2026-04-01Z', 'status')$$, '22023',
  'field "group_by": "status" is not one of queue, agent, priority, channel', 'an unknown grouping is refused');
select throws_ok($$select * from public.report_timeseries('tickets_created', 'day', '2026-03-01Z', '2026-04-01Z', null, 'Mars/Olympus')$$,
  '22023', 'field "time_zone": "Mars/Olympus" is not an IANA time zone name (such as Europe/Berlin or America/New_York)',
  'an unknown time zone is refused');

-- ============================ leaderboard ============================
select is((select array_agg(row(agent_id, replies, tickets_solved, first_reply_median_minutes, resolution_median_minutes, ratings, csat_percent)::text)
             from public.report_agent_leaderboard('2026-03-01Z', '2026-04-01Z')),
  array[row(pg_temp.uid('agent_in'), 3, 3, 2002.50, 3960.00, 2, 50.00)::text, row(pg_temp.uid('agent_out'), 1, 1, 20.00, 60.00, 1, 0.00)::text],
  'leaderboard: answered replies, solves, medians and CSAT per agent, most solves first');
select pg_temp.act_as('agent_out');
select is((select array_agg(agent_id) from public.report_agent_leaderboard('2026-03-01Z', '2026-04-01Z')),
  array[pg_temp.uid('agent_out')], 'an agent''s leaderboard covers their queues');

-- ============================ reopen, second solve, no calendar (at now()) ============================
select pg_temp.act_as('cust_a');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.rid('0a'), 'it is broken again');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.rid('0a'))).status, 'open'::public.ticket_status, 'the requester''s reply reopens A');
select is(((pg_temp.fact('0a', 'reopen')).occurred_at, (pg_temp.fact('0a', 'reopen')).sequence), (now(), 1), 'a reopen fact');
select pg_temp.act_as('agent_in');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.rid('0a'), 'fixed again');
update public.tickets set status = 'solved' where id = pg_temp.rid('0a');
select pg_temp.act_as('postgres');
select is(((pg_temp.fact('0a', 'resolution', 2)).replies, (pg_temp.fact('0a', 'resolution', 2)).calendar_minutes),
  (4, round((extract(epoch from now()) - extract(epoch from timestamptz '2026-03-02 08:00Z')) / 60, 4)),
  'the second solve is resolution 2: full resolution from creation, 4 staff replies');
select pg_temp.act_as('admin');
select is(pg_temp.summary(now(), now() + interval '1 minute') - array['first_reply_median_minutes', 'first_reply_p90_minutes',
          'first_reply_median_business_minutes', 'first_reply_p90_business_minutes', 'next_reply_median_minutes',
          'resolution_median_minutes', 'resolution_p90_minutes', 'resolution_median_business_minutes',
          'resolution_p90_business_minutes', 'replies_to_resolution_median', 'backlog_at_end', 'ratings', 'csat_percent',
          'sla_clocks', 'sla_achievement_percent'],
  jsonb_build_object('tickets_created', 0, 'tickets_solved', 1, 'first_reply_count', 0, 'next_reply_count', 1,
    'first_resolution_median_minutes', null, 'reopens', 1, 'reopen_rate_percent', 100.00),
  'now: one reopen, one solve (not a first resolution), one next reply');
select pg_temp.act_as('cust_a');
select is((pg_temp.rate_at(pg_temp.rid('0a'), 'bad', null, now())).resolution, 2, 'the second solve is rated on its own');
select is((select count(*) from public.ticket_ratings where ticket_id = pg_temp.rid('0a')), 2::bigint, 'one rating per solve');

select pg_temp.act_as('admin');
update public.report_settings set business_hours_id = null, csat_scale = 'five_point';
select pg_temp.act_as('agent_in');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'first answer');
select pg_temp.act_as('postgres');
select is(((pg_temp.fact_t(1)).calendar_minutes, (pg_temp.fact_t(1)).business_minutes), (300.0000, null::numeric),
  'without a calendar a fact has calendar minutes only (T1 was created 5 hours ago)');
select pg_temp.act_as('admin');
update public.tickets set status = 'solved' where id = pg_temp.tid(1);
select pg_temp.act_as('cust_a');
select throws_ok($$select public.rate_ticket(pg_temp.tid(1), 'good')$$, '23514', 'field "rating": "good" is not one of 1, 2, 3, 4, 5',
  'the five-point scale, once an admin chose it');
select is((public.rate_ticket(pg_temp.tid(1), '4', 'ok')).satisfied, true, 'a 4 of 5 is satisfied');

-- ============================ backfill = triggers ============================
-- Facts derived from history (for tickets written before the facts existed, or bulk-loaded) equal the triggers' own.
-- The solve and the reopen happen at now(), the time their history events carry.
select pg_temp.act_as('postgres');
update public.report_settings set business_hours_id = '50000000-0000-4000-8000-000000000001';
select pg_temp.ticket_at('0f', 'cust_a', 1, 'agent_in', 'urgent', 'chat', '2026-03-10 09:00Z');
select pg_temp.say_at('0f', 'cust_a', '2026-03-10 09:00Z');
select pg_temp.say_at('0f', 'agent_in', '2026-03-10 09:20Z');
select pg_temp.say_at('0f', 'cust_a', '2026-03-10 09:30Z');
select pg_temp.say_at('0f', 'cust_a', '2026-03-10 09:40Z');
select pg_temp.say_at('0f', 'agent_in', '2026-03-10 10:00Z');
select pg_temp.say_at('0f', 'agent_in', '2026-03-10 10:05Z');
select pg_temp.say_at('0f', 'cust_a', '2026-03-10 10:10Z');
select pg_temp.say_at('0f', 'admin', '2026-03-10 10:30Z');
update public.tickets set status = 'solved' where id = pg_temp.rid('0f');
update public.tickets set status = 'open' where id = pg_temp.rid('0f');
select pg_temp.ticket_at('1a', 'cust_b', null, null, 'low', 'web', '2026-03-11 09:00Z');
update public.tickets set status = 'closed' where id = pg_temp.rid('1a');
create temp table triggered as
  select ticket_id, kind, occurred_at, queue_id, agent_id, priority, channel, calendar_minutes, business_minutes,
         business_hours_id, sequence, replies
    from public.ticket_metric_facts where ticket_id in (pg_temp.rid('0f'), pg_temp.rid('1a'));
select is((select count(*) from triggered), 8::bigint,
  'F: created, first reply, 2 next replies, resolution, reopen; 1a: created, resolution (closing is solving)');
delete from public.ticket_metric_facts where ticket_id in (pg_temp.rid('0f'), pg_temp.rid('1a'));
select autocrm_private.backfill_ticket_metric_facts();
select set_eq(
  $$select ticket_id, kind, occurred_at, queue_id, agent_id, priority, channel, calendar_minutes, business_minutes,
           business_hours_id, sequence, replies from public.ticket_metric_facts where ticket_id in (pg_temp.rid('0f'), pg_temp.rid('1a'))$$,
  $$select * from triggered$$,
  'the backfill derives exactly the facts the triggers wrote');

-- ============================ the daily backlog table ============================
-- The backlog reads a per-day table the fact triggers keep; it must equal a recount from the facts, also after a
-- ticket (and with it its facts) is deleted.
create function pg_temp.backlog_sums() returns table (day date, queue_id uuid, net numeric) language sql security definer as $b$
  select day, queue_id, sum(net) from autocrm_private.ticket_backlog_daily group by 1, 2 having sum(net) <> 0
$b$;
create temp table kept as select * from pg_temp.backlog_sums();
select autocrm_private.rebuild_ticket_backlog_daily();
select set_eq($$select * from pg_temp.backlog_sums()$$, $$select * from kept$$,
  'the daily backlog the triggers kept equals a rebuild from the facts');
select is((pg_temp.summary('2026-03-01Z', '2026-04-01Z')) -> 'backlog_at_end', '3'::jsonb,
  'the March backlog now: D, and F and 1a (created in March, solved only now)');
delete from public.tickets where id = pg_temp.rid('0d');
select is((pg_temp.summary('2026-03-01Z', '2026-04-01Z')) -> 'backlog_at_end', '2'::jsonb,
  'a deleted ticket leaves the backlog with its facts');

select * from finish();
ROLLBACK;
