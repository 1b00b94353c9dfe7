-- pgTAP: private realtime channels, authorized by the policies of realtime.messages as Supabase Realtime checks them:
-- with the caller's role, claims and realtime.topic set, a probe row of an extension that the caller may select grants
-- read (receive), one it may insert grants write (send, announce). The seven callers x the AutoCRM topics.
BEGIN;
-- Fixture (created below as postgres, rolled back at the end):
--   customers  A 10000000-0000-4000-8000-00000000000a   B 10000000-0000-4000-8000-00000000000b
--   agent_in   10000000-0000-4000-8000-000000000001 (member of Q1)   agent_out 10000000-0000-4000-8000-000000000002 (Q2)
--   admin      10000000-0000-4000-8000-000000000003
--   tickets    T1 A/Q1 (30000000-0000-4000-8000-000000000001)   T3 A/Q2 (…03)
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

-- Realtime's read check: a probe row inserted by the server, then selected as the caller. (postgres may insert but not
-- delete rows of realtime.messages, as on Supabase; probes are rolled back with the test.)
create function pg_temp.can_read(who text, p_topic text, p_extension text) returns boolean language plpgsql as $read$
declare
  v_probe uuid := gen_random_uuid();
  v_seen boolean;
begin
  perform pg_temp.act_as('postgres');
  insert into realtime.messages (id, topic, extension, private) values (v_probe, p_topic, p_extension, true);
  perform pg_temp.act_as(who);
  perform set_config('realtime.topic', p_topic, true);
  select exists (select 1 from realtime.messages m where m.id = v_probe) into v_seen;
  perform pg_temp.act_as('postgres');
  return v_seen; -- the probe goes with the test's rollback
end
$read$;

-- Realtime's write check: an insert as the caller; a row-level security refusal means no.
create function pg_temp.can_write(who text, p_topic text, p_extension text) returns boolean language plpgsql as $write$
begin
  perform pg_temp.act_as(who);
  perform set_config('realtime.topic', p_topic, true);
  begin
    insert into realtime.messages (topic, extension, private) values (p_topic, p_extension, true);
  exception when insufficient_privilege then
    perform pg_temp.act_as('postgres');
    return false;
  end;
  perform pg_temp.act_as('postgres');
  return true;
end
$write$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'cust.a@test.local', '{}'),
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
insert into public.tickets (id, subject, requester_id, queue_id) values
  ('30000000-0000-4000-8000-000000000001', 'T1', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001'),
  ('30000000-0000-4000-8000-000000000003', 'T3', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000002');

SELECT plan(43);

-- ==================== ticket-viewers:<T1>: presence, staff who can see T1 ====================
select is(pg_temp.can_read('anon', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), false, 'anon cannot see who views T1');
select is(pg_temp.can_read('cust_a', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), false, 'the requester of T1 cannot see which agents view it');
select is(pg_temp.can_read('cust_b', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), false, 'another customer cannot see who views T1');
select is(pg_temp.can_read('agent_in', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), true, 'an agent of T1''s queue sees who views T1');
select is(pg_temp.can_read('agent_out', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), false, 'an agent outside T1''s queue cannot see who views T1');
select is(pg_temp.can_read('admin', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), true, 'an admin sees who views T1');
select is(pg_temp.can_read('service_role', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), true, 'service_role bypasses the policies');

select is(pg_temp.can_write('anon', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), false, 'anon cannot announce itself on T1');
select is(pg_temp.can_write('cust_a', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), false, 'the requester cannot announce herself on T1');
select is(pg_temp.can_write('cust_b', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), false, 'another customer cannot announce himself on T1');
select is(pg_temp.can_write('agent_in', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), true, 'an agent of T1''s queue announces himself on T1');
select is(pg_temp.can_write('agent_out', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), false, 'an agent outside the queue cannot announce himself on T1');
select is(pg_temp.can_write('admin', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), true, 'an admin announces herself on T1');
select is(pg_temp.can_write('service_role', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'presence'), true, 'service_role may announce (bypasses the policies)');

select is(pg_temp.can_read('agent_in', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'broadcast'), false, 'nobody reads broadcasts on a viewers topic');
select is(pg_temp.can_write('agent_in', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'broadcast'), false, 'nobody broadcasts on a viewers topic');
select is(pg_temp.can_write('admin', 'ticket-viewers:30000000-0000-4000-8000-000000000001', 'broadcast'), false, 'not even an admin broadcasts on a viewers topic');

select is(pg_temp.can_read('agent_out', 'ticket-viewers:30000000-0000-4000-8000-000000000003', 'presence'), true, 'the agent of T3''s queue sees who views T3');
select is(pg_temp.can_read('agent_in', 'ticket-viewers:30000000-0000-4000-8000-000000000003', 'presence'), false, 'and the other agent does not');
select is(pg_temp.can_read('agent_in', 'ticket-viewers:30000000-0000-4000-8000-0000000000ff', 'presence'), false, 'an unknown ticket has no viewers topic');
select is(pg_temp.can_read('agent_in', 'ticket-viewers:not-a-uuid', 'presence'), false, 'a malformed viewers topic is refused, not an error');
select is(pg_temp.can_read('agent_in', 'ticket-viewers:30000000-0000-4000-8000-000000000001:x', 'presence'), false, 'a viewers topic with a suffix is refused');

-- ==================== agents, agents:<name>: staff broadcast and presence ====================
select is(pg_temp.can_read('anon', 'agents', 'broadcast'), false, 'anon cannot listen to the agents channel');
select is(pg_temp.can_read('cust_a', 'agents', 'broadcast'), false, 'a customer cannot listen to the agents channel');
select is(pg_temp.can_read('agent_in', 'agents', 'broadcast'), true, 'an agent listens to the agents channel');
select is(pg_temp.can_read('agent_out', 'agents', 'broadcast'), true, 'every agent listens to the agents channel');
select is(pg_temp.can_read('admin', 'agents', 'broadcast'), true, 'an admin listens to the agents channel');
select is(pg_temp.can_write('anon', 'agents', 'broadcast'), false, 'anon cannot broadcast to agents');
select is(pg_temp.can_write('cust_b', 'agents', 'broadcast'), false, 'a customer cannot broadcast to agents');
select is(pg_temp.can_write('agent_out', 'agents', 'broadcast'), true, 'an agent broadcasts to agents');
select is(pg_temp.can_write('admin', 'agents', 'broadcast'), true, 'an admin broadcasts to agents');
select is(pg_temp.can_write('service_role', 'agents', 'broadcast'), true, 'service_role broadcasts to agents');
select is(pg_temp.can_write('agent_in', 'agents:escalations', 'broadcast'), true, 'agents:<name> is a staff channel too');
select is(pg_temp.can_write('cust_a', 'agents:escalations', 'broadcast'), false, 'and closed to customers');
select is(pg_temp.can_read('agent_in', 'agents:escalations', 'presence'), true, 'staff channels carry presence for staff');
select is(pg_temp.can_write('cust_a', 'agents:escalations', 'presence'), false, 'but not for customers');
select is(pg_temp.can_write('agent_in', 'agentsx', 'broadcast'), false, 'agentsx is not a staff channel');

-- ==================== any other private topic: closed (only service_role) ====================
select is(pg_temp.can_read('agent_in', 'room-1', 'broadcast'), false, 'no policy covers other topics');
select is(pg_temp.can_write('admin', 'room-1', 'broadcast'), false, 'not even for admins');
select is(pg_temp.can_read('cust_a', 'room-1', 'presence'), false, 'nor for customers');
select is(pg_temp.can_write('service_role', 'room-1', 'broadcast'), true, 'service_role uses any topic');

select is(public.realtime_viewers_ticket_id('ticket-viewers:30000000-0000-4000-8000-000000000001'), '30000000-0000-4000-8000-000000000001'::uuid, 'the viewers topic names its ticket');
select is(public.realtime_viewers_ticket_id('ticket-viewers:zz'), null, 'and anything else names none');

SELECT * FROM finish();
ROLLBACK;
