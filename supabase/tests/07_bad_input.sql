-- pgTAP: Bad input: clear PostgreSQL errors (check violation, invalid input, ...) and no silently changed rows.
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

SELECT plan(29);

-- Bad input gets a PostgreSQL error with a clear message; the row is never silently changed.
select pg_temp.act_as('cust_a');

-- metadata must be a JSON object
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', '[1,2]')$$,
  '23514', 'new row for relation "tickets" violates check constraint "tickets_metadata_is_object"',
  'ticket metadata as a JSON array is a check violation');
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', '"text"')$$,
  '23514', null, 'ticket metadata as a JSON string is a check violation');
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', 'null'::jsonb)$$,
  '23514', null, 'ticket metadata as JSON null is a check violation');
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', null)$$,
  '23502', null, 'SQL NULL metadata is a not-null violation');
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', '{not json')$$,
  '22P02', null, 'malformed JSON is invalid input');
select throws_ok($$update public.tickets set metadata = '[]' where id = pg_temp.tid(1)$$,
  '23514', null, 'updating metadata to a non-object is a check violation');
select is((pg_temp.ticket(pg_temp.tid(1))).metadata, '{}'::jsonb, 'the rejected update left metadata unchanged');

-- subject 1..300 characters
select throws_ok($$insert into public.tickets (subject) values ('')$$,
  '23514', 'new row for relation "tickets" violates check constraint "tickets_subject_length"', 'an empty subject is a check violation');
select throws_ok($$insert into public.tickets (subject) values ('   ')$$,
  '23514', null, 'a blank subject is a check violation');
select throws_ok($$insert into public.tickets (subject) values (repeat('x', 301))$$,
  '23514', null, 'a 301-character subject is a check violation');
select lives_ok($$insert into public.tickets (subject) values (repeat('é', 300))$$, 'a 300-character subject is accepted');
select throws_ok($$insert into public.tickets (subject) values (null)$$, '23502', null, 'a missing subject is a not-null violation');
select throws_ok($$update public.tickets set subject = repeat('y', 301) where id = pg_temp.tid(1)$$,
  '23514', null, 'updating the subject to 301 characters is a check violation');
select is((pg_temp.ticket(pg_temp.tid(1))).subject, 'T1', 'the rejected update left the subject unchanged');

-- enums
select throws_ok($$update public.tickets set status = 'bogus' where id = pg_temp.tid(1)$$,
  '22P02', 'invalid input value for enum ticket_status: "bogus"', 'an unknown status is invalid input');
select throws_ok($$insert into public.tickets (subject, priority) values ('x', 'critical')$$,
  '22P02', 'invalid input value for enum ticket_priority: "critical"', 'an unknown priority is invalid input');
select throws_ok($$insert into public.ticket_messages (ticket_id, body, visibility) values (pg_temp.tid(1), 'x', 'secret')$$,
  '22P02', null, 'an unknown message visibility is invalid input');
select is((pg_temp.ticket(pg_temp.tid(1))).status, 'new'::public.ticket_status, 'the rejected status left the ticket unchanged');

-- other shapes
select throws_ok($$insert into public.tickets (subject, tags) values ('x', array['a', null])$$,
  '23514', null, 'a null tag is a check violation');
select throws_ok($$insert into public.tickets (id, subject) values ('not-a-uuid', 'x')$$,
  '22P02', null, 'a malformed id is invalid input');
select throws_ok($$insert into public.tickets (subject, queue_id) values ('x', '20000000-0000-4000-8000-0000000000ee')$$,
  '23503', null, 'an unknown queue is a foreign-key violation');
select throws_ok($$insert into public.tickets (id, subject) values (pg_temp.tid(1), 'dup')$$,
  '23505', null, 'a duplicate id without ON CONFLICT is a unique violation');

-- messages
select throws_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), '')$$,
  '23514', null, 'an empty message body is a check violation');
select throws_ok($$insert into public.ticket_messages (ticket_id, body, metadata) values (pg_temp.tid(1), 'x', '[]')$$,
  '23514', null, 'message metadata must be an object');

-- profiles and queues
select throws_ok($$update public.profiles set metadata = '"x"' where id = pg_temp.uid('cust_a')$$,
  '23514', null, 'profile metadata must be an object');
select pg_temp.act_as('admin');
select throws_ok($$insert into public.queues (slug, name) values ('Not A Slug', 'x')$$,
  '23514', null, 'a queue slug must be lower-case letters, digits, - and _');
select throws_ok($$insert into public.queues (slug, name) values ('test-q1', 'again')$$,
  '23505', null, 'queue slugs are unique');
select throws_ok($$insert into public.queues (slug, name) values ('test-empty', '')$$,
  '23514', null, 'a queue needs a name');
select throws_ok($$select public.set_user_role(user_id => pg_temp.uid('cust_a'), role => 'superuser')$$,
  '22P02', null, 'an unknown role is invalid input');

SELECT * FROM finish();
ROLLBACK;
