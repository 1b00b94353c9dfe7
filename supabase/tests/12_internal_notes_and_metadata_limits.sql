-- pgTAP: Internal notes change nothing a customer can observe (staff activity instead), and metadata limits on every writer.
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

create function pg_temp.activity(p_ticket uuid) returns public.ticket_staff_activity language sql security definer as $a$
  select * from public.ticket_staff_activity where ticket_id = p_ticket
$a$;

SELECT plan(27);

-- ============================ internal notes ============================
select pg_temp.act_as('postgres');
select is((pg_temp.activity(pg_temp.tid(1))).last_internal_note_by, pg_temp.uid('agent_in'),
  'a fixture internal note is recorded as staff activity');
create temp table before_note as select * from public.tickets where id = pg_temp.tid(1);
grant select on before_note to authenticated;
select pg_temp.act_as('agent_in');
select lives_ok($$insert into public.ticket_messages (ticket_id, body, visibility) values (pg_temp.tid(1), 'customer seems confused', 'internal')$$,
  'an agent writes an internal note');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(1))).version, (select version from before_note), 'an internal note leaves the ticket version alone');
select is((pg_temp.ticket(pg_temp.tid(1))).updated_at, (select updated_at from before_note), 'an internal note leaves updated_at alone');
select is((pg_temp.ticket(pg_temp.tid(1))).first_response_at, null, 'an internal note is not a first response');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(1)), 1::bigint, 'an internal note writes no ticket event');
select is((select count(*) from public.ticket_staff_activity where ticket_id = pg_temp.tid(1)), 1::bigint, 'one staff activity row per ticket');

select pg_temp.act_as('agent_in');
select is((select count(*) from public.ticket_staff_activity where ticket_id = pg_temp.tid(1)), 1::bigint,
  'an agent of the ticket''s queue reads its staff activity');
select pg_temp.act_as('agent_out');
select is((select count(*) from public.ticket_staff_activity where ticket_id = pg_temp.tid(1)), 0::bigint,
  'an agent who cannot see the ticket cannot read its staff activity');
select is((select count(*) from public.ticket_staff_activity where ticket_id = pg_temp.tid(3)), 1::bigint,
  'an agent reads the staff activity of a ticket of their queue');
select pg_temp.act_as('admin');
select is((select count(*) from public.ticket_staff_activity), 2::bigint, 'an admin reads all staff activity');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_staff_activity), 0::bigint, 'a customer reads no staff activity, not even of their own tickets');
select throws_ok($$insert into public.ticket_staff_activity values (pg_temp.tid(4), now(), null)$$, '42501', null,
  'a customer cannot write staff activity');
select pg_temp.act_as('agent_in');
select throws_ok($$update public.ticket_staff_activity set last_internal_note_at = now()$$, '42501', null,
  'an agent cannot write staff activity directly');
select pg_temp.act_as('anon');
select throws_ok($$select * from public.ticket_staff_activity$$, '42501', null, 'anon cannot read staff activity');

select pg_temp.act_as('agent_in');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'a public reply');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(1))).version, (select version + 1 from before_note), 'a public reply still touches the ticket');
select isnt((pg_temp.ticket(pg_temp.tid(1))).first_response_at, null, 'a public staff reply is the first response');

-- ============================ metadata limits ============================
select pg_temp.act_as('cust_a');
select lives_ok($$update public.tickets set metadata = (select jsonb_object_agg('k' || g, repeat('x', 400)) from generate_series(1, 512) g) where id = pg_temp.tid(1)$$,
  'a customer may store 512 fields of 400 characters (about 210 KB)');
select throws_ok($$update public.tickets set metadata = jsonb_build_object('blob', repeat('x', 262144)) where id = pg_temp.tid(1)$$,
  '23514', 'field "metadata": metadata is too large: 262156 bytes, at most 262144', 'tickets.metadata over 256 KiB is refused with its size');
select throws_ok($$update public.tickets set metadata = (select jsonb_object_agg('k' || g, g) from generate_series(1, 513) g) where id = pg_temp.tid(1)$$,
  '23514', 'field "metadata": metadata has too many fields: 513, at most 512', 'tickets.metadata with 513 fields is refused');
select throws_ok($$insert into public.tickets (subject, metadata) values ('big', jsonb_build_object('blob', repeat('x', 300000)))$$,
  '23514', null, 'a new ticket with oversized metadata is refused');
select throws_ok($$insert into public.ticket_messages (ticket_id, body, metadata) values (pg_temp.tid(1), 'hi', jsonb_build_object('blob', repeat('x', 300000)))$$,
  '23514', null, 'a message with oversized metadata is refused');
select throws_ok($$update public.profiles set metadata = jsonb_build_object('blob', repeat('x', 300000)) where id = pg_temp.uid('cust_a')$$,
  '23514', null, 'a profile with oversized metadata is refused');
select lives_ok($$update public.tickets set status = 'closed' where id = pg_temp.tid(3)$$, 'writes that leave metadata alone are not checked');
select pg_temp.act_as('service_role');
select throws_ok($$update public.tickets set metadata = jsonb_build_object('blob', repeat('x', 300000)) where id = pg_temp.tid(2)$$,
  '23514', null, 'the service_role key is held to the same limit');
select pg_temp.act_as('postgres');
select throws_ok($$update public.tickets set metadata = (select jsonb_object_agg('k' || g, g) from generate_series(1, 600) g) where id = pg_temp.tid(2)$$,
  '23514', null, 'so is a direct database session');
select is((select count(*) from public.tickets where octet_length(metadata::text) > 262144), 0::bigint, 'no oversized metadata was stored');

SELECT * FROM finish();
ROLLBACK;
