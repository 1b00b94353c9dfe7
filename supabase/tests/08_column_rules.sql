-- pgTAP: Column rules: what customers, agents, admins and service_role may change.
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

SELECT plan(35);

-- ============================ customer column rules ============================
select pg_temp.act_as('cust_a');
select throws_ok($$update public.tickets set assignee_id = pg_temp.uid('agent_in') where id = pg_temp.tid(1)$$,
  '42501', 'customers cannot change the assignee', 'a customer cannot set the assignee');
select throws_ok($$update public.tickets set queue_id = pg_temp.qid(2) where id = pg_temp.tid(1)$$,
  '42501', 'customers cannot change the queue of a ticket', 'a customer cannot move her ticket to another queue');
select throws_ok($$update public.tickets set queue_id = null where id = pg_temp.tid(1)$$,
  '42501', 'customers cannot change the queue of a ticket', 'a customer cannot remove the queue');
select throws_ok($$update public.tickets set status = 'pending' where id = pg_temp.tid(1)$$,
  '42501', null, 'a customer cannot set status pending');
select throws_ok($$update public.tickets set status = 'solved' where id = pg_temp.tid(1)$$,
  '42501', null, 'a customer cannot set status solved');
select throws_ok($$update public.tickets set status = 'on_hold' where id = pg_temp.tid(1)$$,
  '42501', null, 'a customer cannot set status on_hold');
select throws_ok($$update public.tickets set status = 'open' where id = pg_temp.tid(1)$$,
  '42501', null, 'a customer cannot move her new ticket to open');
select throws_ok($$update public.tickets set version = 42 where id = pg_temp.tid(1)$$,
  '42501', 'tickets.version is maintained by the database', 'a customer cannot set version');
select throws_ok($$update public.tickets set requester_id = pg_temp.uid('cust_b') where id = pg_temp.tid(1)$$,
  '42501', 'customers cannot change the requester', 'a customer cannot change the requester');
select throws_ok($$update public.tickets set first_response_at = now() where id = pg_temp.tid(1)$$,
  '42501', null, 'a customer cannot set first_response_at');
select throws_ok($$update public.tickets set solved_at = now() where id = pg_temp.tid(1)$$,
  '42501', null, 'a customer cannot set solved_at');
select throws_ok($$update public.tickets set created_at = now() - interval '1 year' where id = pg_temp.tid(1)$$,
  '42501', null, 'a customer cannot backdate created_at');
select lives_ok($$update public.tickets set subject = 'T1 clarified', priority = 'high', metadata = '{"os":"linux"}', tags = '{login}',
                   version = (select version from public.tickets where id = pg_temp.tid(1)) where id = pg_temp.tid(1)$$,
  'a customer edits subject, priority, metadata and tags (sending the unchanged version is fine)');
select lives_ok($$update public.tickets set status = 'closed' where id = pg_temp.tid(1)$$, 'a customer closes her ticket');
select lives_ok($$update public.tickets set status = 'open' where id = pg_temp.tid(1)$$, 'a customer reopens her closed ticket');
select pg_temp.act_as('postgres');
update public.tickets set status = 'solved' where id = pg_temp.tid(3);
select pg_temp.act_as('cust_a');
select lives_ok($$update public.tickets set status = 'open' where id = pg_temp.tid(3)$$, 'a customer reopens her solved ticket');
select is((pg_temp.ticket(pg_temp.tid(1))).assignee_id, null, 'the rejected assignee change left the ticket unassigned');

select throws_ok($$insert into public.tickets (subject, assignee_id) values ('x', pg_temp.uid('agent_in'))$$,
  '42501', 'customers cannot assign tickets', 'a customer cannot create an assigned ticket');
select throws_ok($$insert into public.tickets (subject, status) values ('x', 'solved')$$,
  '42501', null, 'a customer''s ticket starts in status new');
select throws_ok($$insert into public.tickets (subject, version) values ('x', 7)$$,
  '42501', null, 'a customer cannot choose the version of a new ticket');
select throws_ok($$insert into public.tickets (subject, solved_at) values ('x', now())$$,
  '42501', null, 'a customer cannot set solved_at on a new ticket');
select throws_ok($$insert into public.tickets (subject, number) values ('x', 1)$$,
  '428C9', null, 'nobody picks the ticket number');

-- ============================ agent column rules ============================
select pg_temp.act_as('agent_in');
select throws_ok($$update public.tickets set requester_id = pg_temp.uid('cust_b') where id = pg_temp.tid(1)$$,
  '42501', 'agents cannot change the requester', 'an agent cannot change the requester');
select throws_ok($$update public.tickets set version = version + 5 where id = pg_temp.tid(2)$$,
  '42501', 'tickets.version is maintained by the database', 'an agent cannot set version');
select throws_ok($$update public.tickets set assignee_id = pg_temp.uid('agent_out') where id = pg_temp.tid(2)$$,
  '42501', null, 'an agent cannot assign a Q1 ticket to an agent outside Q1');
select throws_ok($$update public.tickets set assignee_id = pg_temp.uid('cust_a') where id = pg_temp.tid(2)$$,
  '23514', null, 'an agent cannot assign a ticket to a customer');
select throws_ok($$update public.tickets set queue_id = pg_temp.qid(2) where id = pg_temp.tid(2)$$,
  '42501', null, 'an agent cannot move a ticket into a queue he is not a member of');
select lives_ok($$update public.tickets set assignee_id = pg_temp.uid('agent_in'), status = 'pending', priority = 'low' where id = pg_temp.tid(2)$$,
  'an agent assigns himself and changes status and priority');
select lives_ok($$update public.tickets set status = 'solved' where id = pg_temp.tid(2)$$, 'an agent solves a ticket');

-- ============================ admin and service_role ============================
select pg_temp.act_as('admin');
select lives_ok($$update public.tickets set requester_id = pg_temp.uid('cust_a'), assignee_id = pg_temp.uid('agent_out') where id = pg_temp.tid(2)$$,
  'an admin changes the requester and assigns to any agent');
select throws_ok($$update public.tickets set version = 99 where id = pg_temp.tid(2)$$,
  '42501', null, 'not even an admin sets version');
select throws_ok($$update public.tickets set assignee_id = pg_temp.uid('cust_b') where id = pg_temp.tid(2)$$,
  '23514', null, 'an admin cannot assign to a customer');

select pg_temp.act_as('service_role');
select lives_ok($$update public.tickets set version = 100, requester_id = pg_temp.uid('cust_b'), first_response_at = now() - interval '1 day',
                   queue_id = null, status = 'pending' where id = pg_temp.tid(2)$$,
  'service_role is not stopped by any column rule');
select is((pg_temp.ticket(pg_temp.tid(2))).version, 100, 'service_role may set version explicitly');

-- ============================ messages ============================
select pg_temp.act_as('agent_in');
select throws_ok($$insert into public.ticket_messages (ticket_id, author_id, body) values (pg_temp.tid(1), pg_temp.uid('admin'), 'as admin')$$,
  '42501', 'ticket_messages.author_id must be the signed-in user', 'an agent cannot write as someone else');

SELECT * FROM finish();
ROLLBACK;
