-- pgTAP: Triggers: ticket_events history, version/updated_at, solved_at/closed_at, first_response_at, reopen on customer reply.
BEGIN;
-- Runs on a database with the platform bootstrap + migrations only (no seed needed; seed data is ignored).
-- Callers are simulated as Supabase does: role + request.jwt.claims, transaction-local
-- (pg_temp.act_as does `set local role …; set local request.jwt.claims to …`).
--
-- Fixture (created below as postgres, rolled back at the end):
--   customers  A 10000000-0000-4000-8000-00000000000a   B 10000000-0000-4000-8000-00000000000b
--   agent_in   10000000-0000-4000-8000-000000000001 (member of Q1)
--   agent_out  10000000-0000-4000-8000-000000000002 (member of Q2)
--   admin      10000000-0000-4000-8000-000000000003
--   queues     Q1 20000000-0000-4000-8000-000000000001   Q2 20000000-0000-4000-8000-000000000002
--   tickets    T1 A/Q1  T2 B/Q1  T3 A/Q2  T4 B/no queue  T5 A/Q2 assigned to agent_in
--              (30000000-0000-4000-8000-00000000000N)
--   messages   M1 T1 public (A)  M2 T1 internal (agent_in)  M3 T2 public (B)
--              M4 T3 public (A)  M5 T3 internal (agent_out)  (40000000-0000-4000-8000-00000000000N)
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
declare
  v_sub text := case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'cust_b' then '10000000-0000-4000-8000-00000000000b'
    when 'agent_in' then '10000000-0000-4000-8000-000000000001'
    when 'agent_out' then '10000000-0000-4000-8000-000000000002'
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

-- Rows changed by a statement, as the current caller.
create function pg_temp.affected(stmt text) returns bigint language plpgsql as $aff$
declare n bigint;
begin
  execute stmt;
  get diagnostics n = row_count;
  return n;
end
$aff$;

-- Reads that bypass row-level security (to check what a caller's statement really did).
create function pg_temp.ticket(p_id uuid) returns public.tickets language sql security definer as $t$
  select * from public.tickets where id = p_id
$t$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'cust.a@test.local', '{"display_name":"Customer A"}'),
  ('10000000-0000-4000-8000-00000000000b', 'cust.b@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000001', 'agent.in@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000002', 'agent.out@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000003', 'admin@test.local', '{}');
update public.profiles set role = 'agent'
 where id in ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002');
update public.profiles set role = 'admin' where id = '10000000-0000-4000-8000-000000000003';
insert into public.queues (id, slug, name) values
  ('20000000-0000-4000-8000-000000000001', 'test-q1', 'Test queue 1'),
  ('20000000-0000-4000-8000-000000000002', 'test-q2', 'Test queue 2');
insert into public.queue_members (queue_id, agent_id) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001'),
  ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002');
insert into public.tickets (id, subject, requester_id, queue_id, assignee_id, created_at) values
  ('30000000-0000-4000-8000-000000000001', 'T1', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001', null, now() - interval '5 hours'),
  ('30000000-0000-4000-8000-000000000002', 'T2', '10000000-0000-4000-8000-00000000000b', '20000000-0000-4000-8000-000000000001', null, now() - interval '4 hours'),
  ('30000000-0000-4000-8000-000000000003', 'T3', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000002', null, now() - interval '3 hours'),
  ('30000000-0000-4000-8000-000000000004', 'T4', '10000000-0000-4000-8000-00000000000b', null, null, now() - interval '2 hours'),
  ('30000000-0000-4000-8000-000000000005', 'T5', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', now() - interval '1 hour');
insert into public.ticket_messages (id, ticket_id, author_id, visibility, body) values
  ('40000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-00000000000a', 'public', 'M1'),
  ('40000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'internal', 'M2'),
  ('40000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-00000000000b', 'public', 'M3'),
  ('40000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-00000000000a', 'public', 'M4'),
  ('40000000-0000-4000-8000-000000000005', '30000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002', 'internal', 'M5');

create function pg_temp.uid(who text) returns uuid language sql immutable as $u$
  select (case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'cust_b' then '10000000-0000-4000-8000-00000000000b'
    when 'agent_in' then '10000000-0000-4000-8000-000000000001'
    when 'agent_out' then '10000000-0000-4000-8000-000000000002'
    when 'admin' then '10000000-0000-4000-8000-000000000003'
  end)::uuid
$u$;
create function pg_temp.tid(n int) returns uuid language sql immutable as $u$
  select ('30000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;
create function pg_temp.mid(n int) returns uuid language sql immutable as $u$
  select ('40000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;
create function pg_temp.qid(n int) returns uuid language sql immutable as $u$
  select ('20000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;

SELECT plan(37);

-- ============================ events written by triggers ============================
select pg_temp.act_as('postgres');
select is((select changes from public.ticket_events where ticket_id = pg_temp.tid(2) and kind = 'created'),
  jsonb_build_object('status', jsonb_build_array(null, 'new'), 'priority', jsonb_build_array(null, 'normal'),
                     'assignee_id', jsonb_build_array(null, null), 'queue_id', jsonb_build_array(null, pg_temp.qid(1)),
                     'tags', jsonb_build_array(null, '[]'::jsonb)),
  'creating a ticket writes a created event with {field: [null, value]}');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(2)), 1::bigint,
  'a fresh ticket has exactly one event');

select pg_temp.act_as('agent_in');
update public.tickets set status = 'pending' where id = pg_temp.tid(2);
select pg_temp.act_as('postgres');
select is((select changes from public.ticket_events where ticket_id = pg_temp.tid(2) and kind = 'status_changed'),
  '{"status": ["new", "pending"]}'::jsonb, 'a status change writes status_changed {status: [old, new]}');
select is((select actor_id from public.ticket_events where ticket_id = pg_temp.tid(2) and kind = 'status_changed'),
  pg_temp.uid('agent_in'), 'the event''s actor is auth.uid()');

select pg_temp.act_as('agent_in');
update public.tickets set priority = 'urgent', assignee_id = pg_temp.uid('agent_in'), tags = '{vip,sla}', subject = 'T2 renamed'
 where id = pg_temp.tid(2);
select pg_temp.act_as('postgres');
select results_eq($$select kind, changes from public.ticket_events where ticket_id = pg_temp.tid(2)
                     and kind in ('priority_changed', 'assignee_changed', 'tags_changed') order by kind$$,
  $$values ('assignee_changed', jsonb_build_object('assignee_id', jsonb_build_array(null, pg_temp.uid('agent_in')))),
           ('priority_changed', '{"priority": ["normal", "urgent"]}'::jsonb),
           ('tags_changed', '{"tags": [[], ["vip", "sla"]]}'::jsonb)$$,
  'one update changing priority, assignee and tags writes one event per field');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(2)), 5::bigint,
  'a subject change writes no event');

update public.tickets set queue_id = pg_temp.qid(2) where id = pg_temp.tid(2);
select is((select changes from public.ticket_events where ticket_id = pg_temp.tid(2) and kind = 'queue_changed'),
  jsonb_build_object('queue_id', jsonb_build_array(pg_temp.qid(1), pg_temp.qid(2))), 'a queue change writes queue_changed');
select is((select actor_id from public.ticket_events where ticket_id = pg_temp.tid(2) and kind = 'queue_changed'),
  null, 'changes by a trusted session without a user have no actor');

-- ============================ version and updated_at ============================
select is((pg_temp.ticket(pg_temp.tid(4))).version, 1, 'a new ticket has version 1');
update public.tickets set subject = 'T4 v2', updated_at = '2000-01-01' where id = pg_temp.tid(4);
select is((pg_temp.ticket(pg_temp.tid(4))).version, 2, 'an update bumps version');
select is((pg_temp.ticket(pg_temp.tid(4))).updated_at, now(), 'updated_at is set by the trigger');
select pg_temp.act_as('cust_b');
update public.tickets set subject = 'T4 v3' where id = pg_temp.tid(4);
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(4))).version, 3, 'an API user''s update bumps version too');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$update public.tickets set subject = 'stale' where id = pg_temp.tid(4) and version = 2$$), 0::bigint,
  'an update guarded by a stale version matches no row (optimistic concurrency)');
select pg_temp.act_as('postgres');

-- ============================ solved_at / closed_at ============================
update public.tickets set status = 'solved' where id = pg_temp.tid(4);
select is((pg_temp.ticket(pg_temp.tid(4))).solved_at, now(), 'status solved sets solved_at');
select is((pg_temp.ticket(pg_temp.tid(4))).closed_at, null, 'status solved leaves closed_at null');
update public.tickets set status = 'closed' where id = pg_temp.tid(4);
select is((pg_temp.ticket(pg_temp.tid(4))).closed_at, now(), 'status closed sets closed_at');
select isnt((pg_temp.ticket(pg_temp.tid(4))).solved_at, null, 'a closed ticket keeps solved_at');
update public.tickets set status = 'open' where id = pg_temp.tid(4);
select ok((pg_temp.ticket(pg_temp.tid(4))).solved_at is null and (pg_temp.ticket(pg_temp.tid(4))).closed_at is null,
  'reopening clears solved_at and closed_at');
insert into public.tickets (id, subject, requester_id, status)
values ('31000000-0000-4000-8000-000000000001', 'born closed', pg_temp.uid('cust_b'), 'closed');
select ok((pg_temp.ticket('31000000-0000-4000-8000-000000000001')).solved_at = now()
          and (pg_temp.ticket('31000000-0000-4000-8000-000000000001')).closed_at = now(),
  'a ticket created closed gets solved_at and closed_at');

-- ============================ first_response_at ============================
select is((pg_temp.ticket(pg_temp.tid(1))).first_response_at, null,
  'customer messages and internal notes do not count as a first response');
insert into public.ticket_messages (ticket_id, author_id, visibility, body, created_at)
values (pg_temp.tid(1), pg_temp.uid('agent_in'), 'internal', 'another note', now() - interval '3 hours');
select is((pg_temp.ticket(pg_temp.tid(1))).first_response_at, null, 'an internal note is not a first response');
insert into public.ticket_messages (ticket_id, author_id, visibility, body, created_at)
values (pg_temp.tid(1), pg_temp.uid('agent_in'), 'public', 'first reply', now() - interval '2 hours');
select is((pg_temp.ticket(pg_temp.tid(1))).first_response_at, now() - interval '2 hours',
  'the first public agent reply sets first_response_at');
insert into public.ticket_messages (ticket_id, author_id, visibility, body, created_at)
values (pg_temp.tid(1), pg_temp.uid('admin'), 'public', 'second reply', now() - interval '1 hour');
select is((pg_temp.ticket(pg_temp.tid(1))).first_response_at, now() - interval '2 hours',
  'later replies keep first_response_at');
select pg_temp.act_as('agent_out');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(3), 'hello from Q2');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(3))).first_response_at, now(), 'an agent''s public reply through the API sets first_response_at');

-- ============================ customer reply reopens ============================
update public.tickets set status = 'pending' where id = pg_temp.tid(1);
select pg_temp.act_as('cust_a');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'still broken');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(1))).status, 'open'::public.ticket_status, 'a customer''s public reply reopens a pending ticket');
select is((select actor_id from public.ticket_events where ticket_id = pg_temp.tid(1) and kind = 'status_changed'
            order by id desc limit 1), pg_temp.uid('cust_a'), 'the reopen event names the customer');

update public.tickets set status = 'solved' where id = pg_temp.tid(1);
select pg_temp.act_as('cust_a');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'not solved');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(1))).status, 'open'::public.ticket_status, 'a customer''s public reply reopens a solved ticket');
select is((pg_temp.ticket(pg_temp.tid(1))).solved_at, null, 'reopening by reply clears solved_at');

update public.tickets set status = 'on_hold' where id = pg_temp.tid(1);
select pg_temp.act_as('cust_a');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'any news?');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(1))).status, 'on_hold'::public.ticket_status, 'a customer reply leaves an on-hold ticket on hold');

update public.tickets set status = 'pending' where id = pg_temp.tid(1);
select pg_temp.act_as('agent_in');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'we are waiting for you');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(1))).status, 'pending'::public.ticket_status, 'an agent reply does not reopen a pending ticket');

select is((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(1) and kind = 'status_changed'), 6::bigint,
  'every status change of T1 is in its history');
select cmp_ok((pg_temp.ticket(pg_temp.tid(1))).version, '>', 8, 'each message touches its ticket (version bumped)');

-- ============================ deleting users ============================
select pg_temp.act_as('postgres');
update public.tickets set assignee_id = pg_temp.uid('agent_out') where id = pg_temp.tid(3);
delete from auth.users where id = pg_temp.uid('agent_out');
select is((pg_temp.ticket(pg_temp.tid(3))).assignee_id, null, 'deleting a staff user unassigns their tickets');
select is((select changes from public.ticket_events where ticket_id = pg_temp.tid(3) and kind = 'assignee_changed' order by id desc limit 1),
  jsonb_build_object('assignee_id', jsonb_build_array(pg_temp.uid('agent_out'), null)), 'the unassignment is in the history');
update public.tickets set assignee_id = pg_temp.uid('agent_in') where id = pg_temp.tid(2);
select lives_ok($$delete from auth.users where id in (pg_temp.uid('cust_b'), pg_temp.uid('agent_in'))$$,
  'deleting a requester and the assignee of the same ticket at once works');
select is_empty($$select 1 from public.tickets where requester_id = pg_temp.uid('cust_b')$$, 'a deleted customer''s tickets are removed');
select is((pg_temp.ticket(pg_temp.tid(5))).assignee_id, null, 'other tickets of the deleted agent are unassigned');

SELECT * FROM finish();
ROLLBACK;
