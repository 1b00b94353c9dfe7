-- pgTAP: AI triage queue. Off by default (nothing queued); only the service role may switch it, lease, complete or
-- release; a new ticket is queued in its own transaction while it is on; a lease hands a job to one caller; completing
-- applies the suggestion once (priority only over the untouched default, tags only added), records one internal
-- ai_triaged event with the model's name and removes the job; a lost or expired lease writes nothing; a released job
-- comes back at its retry time, a given-up one never; bad values are refused with the field named.
BEGIN;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
declare
  v_sub text := case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'agent_in' then '10000000-0000-4000-8000-000000000001'
    when 'admin' then '10000000-0000-4000-8000-000000000003'
  end;
begin
  if who = 'postgres' then
    perform set_config('role', 'none', true);
    perform set_config('request.jwt.claims', '', true);
  elsif who in ('anon', 'service_role') then
    perform set_config('role', who, true);
    perform set_config('request.jwt.claims', json_build_object('role', who)::text, true);
  elsif v_sub is not null then
    perform set_config('role', 'authenticated', true);
    perform set_config('request.jwt.claims', json_build_object('sub', v_sub, 'role', 'authenticated')::text, true);
  else
    raise exception 'unknown test caller %', who;
  end if;
end
$act$;

-- What really is in the queue (as the owner).
create function pg_temp.job(p_ticket uuid) returns autocrm_private.ai_triage_jobs language sql security definer as $j$
  select * from autocrm_private.ai_triage_jobs where ticket_id = p_ticket
$j$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'cust.a@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000001', 'agent.in@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000003', 'admin@test.local', '{}');
update public.profiles set role = 'agent' where id = '10000000-0000-4000-8000-000000000001';
update public.profiles set role = 'admin' where id = '10000000-0000-4000-8000-000000000003';
insert into public.queues (id, slug, name) values ('20000000-0000-4000-8000-000000000001', 'ai-q1', 'AI queue');
insert into public.queue_members (queue_id, agent_id) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001');

create temp table fx (name text primary key, id uuid) on commit drop;
grant all on fx to public;

SELECT plan(30);

-- ============================ off by default ============================
insert into public.tickets (id, subject, requester_id, queue_id) values
  ('30000000-0000-4000-8000-000000000000', 'Before triage was on', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001');
select ok((pg_temp.job('30000000-0000-4000-8000-000000000000')).ticket_id is null, 'nothing is queued while triage is off');

-- ============================ only the service role ============================
select pg_temp.act_as('anon');
select throws_ok($$select public.set_ai_triage(true)$$, '42501', null, 'anon cannot switch triage on');
select pg_temp.act_as('cust_a');
select throws_ok($$select public.set_ai_triage(true)$$, '42501', null, 'a customer cannot switch triage on');
select throws_ok($$select * from public.lease_ai_triage_jobs(10, 60)$$, '42501', null, 'a customer cannot lease jobs');
select pg_temp.act_as('agent_in');
select throws_ok($$select * from public.lease_ai_triage_jobs(10, 60)$$, '42501', null, 'an agent cannot lease jobs');
select throws_ok($$select public.complete_ai_triage_job('30000000-0000-4000-8000-000000000000', gen_random_uuid(), 'm', 'high')$$,
  '42501', null, 'an agent cannot complete a job');
select pg_temp.act_as('admin');
select throws_ok($$select public.set_ai_triage(true)$$, '42501', null, 'an admin cannot switch triage on (the worker does)');
select throws_ok($$select public.release_ai_triage_job('30000000-0000-4000-8000-000000000000', gen_random_uuid(), 'x', null)$$,
  '42501', null, 'an admin cannot release a job');
select throws_ok($$select * from autocrm_private.ai_triage_jobs$$, '42501', null, 'an admin cannot read the queue');
select pg_temp.act_as('service_role');
select throws_ok($$select * from autocrm_private.ai_triage_jobs$$, '42501', null, 'the service role cannot read the queue directly either');
select is(public.set_ai_triage(true), true, 'the service role switches triage on');

-- ============================ queued with the ticket ============================
select pg_temp.act_as('postgres');
insert into public.tickets (id, subject, requester_id, queue_id) values
  ('30000000-0000-4000-8000-000000000001', 'Printer on fire', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001'),
  ('30000000-0000-4000-8000-000000000002', 'Question about invoices', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001');
select ok((pg_temp.job('30000000-0000-4000-8000-000000000001')).ticket_id is not null, 'a new ticket is queued while triage is on');

-- ============================ lease ============================
select pg_temp.act_as('service_role');
insert into fx select 'lease1', lease_id from public.lease_ai_triage_jobs(1, 60, '2030-01-01 00:00:00+00') where ticket_id = '30000000-0000-4000-8000-000000000001';
select isnt((select id from fx where name = 'lease1'), null, 'the oldest job is leased');
select is((select count(*)::int from public.lease_ai_triage_jobs(10, 60, '2030-01-01 00:00:30+00') where ticket_id = '30000000-0000-4000-8000-000000000001'), 0,
  'a leased job is not handed to a second caller');
insert into fx select 'lease2', lease_id from public.lease_ai_triage_jobs(10, 60, '2030-01-01 00:00:30+00') where ticket_id = '30000000-0000-4000-8000-000000000002';
select throws_ok($$select * from public.lease_ai_triage_jobs(0, 60)$$, '22023', 'field "max_count": must be between 1 and 1000', 'a lease of 0 jobs is refused');

-- ============================ complete ============================
select throws_ok(
  $$select public.complete_ai_triage_job('30000000-0000-4000-8000-000000000001', (select id from fx where name = 'lease1'), 'fake-model', 'high', '{fire}', 'en', 'furious', '2030-01-01 00:00:10+00')$$,
  '22023', null, 'a sentiment outside the three is refused');
select is(public.complete_ai_triage_job('30000000-0000-4000-8000-000000000001', gen_random_uuid(), 'fake-model', 'high', '{fire}', 'en', 'negative', '2030-01-01 00:00:10+00'),
  null, 'another lease id writes nothing');
select is(public.complete_ai_triage_job('30000000-0000-4000-8000-000000000001', (select id from fx where name = 'lease1'), 'fake-model', 'urgent', '{Fire, hardware, fire}', 'en', 'negative', '2030-01-01 00:00:10+00'),
  '{"priority": ["normal", "urgent"], "tags": [[], ["fire", "hardware"]], "language": [null, "en"], "sentiment": [null, "negative"]}'::jsonb,
  'completing returns what changed');
select pg_temp.act_as('postgres');
select results_eq($$select priority::text, tags from public.tickets where id = '30000000-0000-4000-8000-000000000001'$$,
  $$values ('urgent', '{fire,hardware}'::text[])$$, 'the suggestion is applied to the ticket');
select results_eq($$select model, visibility::text, actor_id from public.ticket_events where ticket_id = '30000000-0000-4000-8000-000000000001' and kind = 'ai_triaged'$$,
  $$values ('fake-model', 'internal', null::uuid)$$, 'one internal ai_triaged event with the model''s name');
select ok((pg_temp.job('30000000-0000-4000-8000-000000000001')).ticket_id is null, 'the job is gone');
select pg_temp.act_as('service_role');
select is(public.complete_ai_triage_job('30000000-0000-4000-8000-000000000001', (select id from fx where name = 'lease1'), 'fake-model', 'low', '{again}', null, null, '2030-01-01 00:00:20+00'),
  null, 'completing twice writes nothing the second time');
select pg_temp.act_as('postgres');
select is((select count(*)::int from public.ticket_events where ticket_id = '30000000-0000-4000-8000-000000000001' and kind = 'ai_triaged'), 1, 'still one ai_triaged event');

-- Visibility: staff read the event, the requester does not.
select pg_temp.act_as('agent_in');
select is((select count(*)::int from public.ticket_events where ticket_id = '30000000-0000-4000-8000-000000000001' and kind = 'ai_triaged'), 1, 'an agent of the queue reads the ai_triaged event');
select pg_temp.act_as('cust_a');
select is((select count(*)::int from public.ticket_events where ticket_id = '30000000-0000-4000-8000-000000000001' and kind = 'ai_triaged'), 0, 'the requester does not');

-- ============================ expired lease, a human's priority, release ============================
select pg_temp.act_as('postgres');
update public.tickets set priority = 'low' where id = '30000000-0000-4000-8000-000000000002';
select pg_temp.act_as('service_role');
select is(public.complete_ai_triage_job('30000000-0000-4000-8000-000000000002', (select id from fx where name = 'lease2'), 'fake-model', 'high', null, null, null, '2030-01-01 00:05:00+00'),
  null, 'an expired lease writes nothing');
insert into fx select 'lease3', lease_id from public.lease_ai_triage_jobs(10, 60, '2030-01-01 00:05:00+00') where ticket_id = '30000000-0000-4000-8000-000000000002';
select isnt((select id from fx where name = 'lease3'), null, 'the job of an expired lease is leased again');
select is(public.complete_ai_triage_job('30000000-0000-4000-8000-000000000002', (select id from fx where name = 'lease3'), 'fake-model', 'high', '{billing}', null, null, '2030-01-01 00:05:10+00'),
  '{"tags": [[], ["billing"]]}'::jsonb, 'a priority someone chose is kept; tags are added');

select pg_temp.act_as('postgres');
insert into public.tickets (id, subject, requester_id, queue_id) values
  ('30000000-0000-4000-8000-000000000003', 'Model keeps failing', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001');
select pg_temp.act_as('service_role');
insert into fx select 'lease4', lease_id from public.lease_ai_triage_jobs(10, 60, '2030-01-01 00:06:00+00') where ticket_id = '30000000-0000-4000-8000-000000000003';
select ok(public.release_ai_triage_job('30000000-0000-4000-8000-000000000003', (select id from fx where name = 'lease4'), 'bad JSON', null),
  'a failed job is given up');
select is((select count(*)::int from public.lease_ai_triage_jobs(10, 60, '2099-01-01 00:00:00+00') where ticket_id = '30000000-0000-4000-8000-000000000003'), 0,
  'a given-up job is never leased again');

SELECT * FROM finish();
ROLLBACK;
