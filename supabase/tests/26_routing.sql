-- pgTAP: routing. Who reads and writes availability, capacity, skills and queue modes (every role); the load counter;
-- claim_next_ticket within capacity (default, per queue, per agent) and skills; automatic assignment of new, released,
-- moved and re-skilled tickets (round robin order, least-loaded choice, away/offline agents skipped); waiting tickets
-- placed when an agent comes online or frees capacity; an assignment over capacity refused. (Concurrency:
-- RoutingConcurrencyTests.)
BEGIN;
\ir _fixture.psql

select plan(77);

-- Three more agents and a queue of their own (r1 < r2 < r3 by id, the chooser's last tie-break).
insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-000000000011', 'r1@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000012', 'r2@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000013', 'r3@test.local', '{}');
update public.profiles set role = 'agent'
 where id in ('10000000-0000-4000-8000-000000000011', '10000000-0000-4000-8000-000000000012', '10000000-0000-4000-8000-000000000013');
insert into public.queues (id, slug, name) values ('20000000-0000-4000-8000-000000000003', 'test-q3', 'Routed queue');
insert into public.queue_members (queue_id, agent_id) values
  ('20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000011'),
  ('20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000012'),
  ('20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000013');

create function pg_temp.r(n int) returns uuid language sql immutable as $u$
  select ('10000000-0000-4000-8000-0000000000' || (10 + n)::text)::uuid
$u$;
create function pg_temp.state(p_agent uuid) returns public.agent_states language sql security definer as $s$
  select * from public.agent_states where agent_id = p_agent
$s$;
create function pg_temp.load(p_agent uuid) returns integer language sql security definer as $s$
  select open_tickets from public.agent_states where agent_id = p_agent
$s$;
-- A ticket created by customer A in a queue (as the database owner, so created_at orders the backlog exactly).
create function pg_temp.new_ticket(p_queue uuid, p_minutes_ago int default 0, p_skills text[] default '{}',
                                   p_priority text default 'normal')
returns uuid language plpgsql security definer as $n$
declare v uuid;
begin
  insert into public.tickets (subject, requester_id, queue_id, created_at, required_skills, priority)
  values ('routed', '10000000-0000-4000-8000-00000000000a', p_queue, now() - make_interval(mins => p_minutes_ago),
          p_skills, p_priority::public.ticket_priority)
  returning id into v;
  return v;
end
$n$;
create function pg_temp.assignee(p_ticket uuid) returns uuid language sql security definer as $a$
  select assignee_id from public.tickets where id = p_ticket
$a$;
create function pg_temp.set_status(p_ticket uuid, p_status text) returns void language sql security definer as $s$
  update public.tickets set status = p_status::public.ticket_status where id = p_ticket
$s$;

-- ============================ who reads ============================
select is(pg_temp.load(pg_temp.uid('agent_in')), 1, 'the counter holds the fixture''s assigned ticket (T5)');
select is((select count(*) from public.agent_states where open_tickets <> 0 and agent_id <> pg_temp.uid('agent_in')),
          0::bigint, 'nobody else has open tickets');

select pg_temp.act_as('agent_out');
select is((select count(*) from public.agent_states), 5::bigint, 'an agent reads every agent''s state (boards show load)');
select is((select count(*) from public.routing_settings), 1::bigint, 'an agent reads the routing defaults');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.agent_states), 0::bigint, 'a customer reads no agent state');
select is((select count(*) from public.queue_routing), 0::bigint, 'a customer reads no queue routing');
select is((select count(*) from public.routing_settings), 0::bigint, 'a customer reads no routing defaults');
select pg_temp.act_as('anon');
select throws_ok($$select count(*) from public.agent_states$$, '42501', null, 'anon cannot read agent states');
select throws_ok($$select count(*) from public.queue_routing$$, '42501', null, 'anon cannot read queue routing');
select throws_ok($$select public.set_agent_status('online')$$, '42501', null, 'anon cannot set a status');

-- ============================ who writes ============================
select pg_temp.act_as('agent_in');
select throws_ok($$update public.agent_states set open_tickets = 0$$, '42501', null, 'an agent cannot write the counter');
select throws_ok($$insert into public.agent_states (agent_id, status) values ('10000000-0000-4000-8000-000000000001', 'online')$$,
  '42501', null, 'an agent cannot insert a state row');
select is((public.set_agent_status('away')).status, 'away'::public.agent_status, 'an agent sets their own status');
select throws_ok($$select public.set_agent_status('online', '10000000-0000-4000-8000-000000000002')$$,
  '42501', 'agents set only their own status', 'an agent cannot set another agent''s status');
select throws_ok($$select public.set_agent_status(null)$$, '23514', 'field "status": status must be online, away or offline',
  'a missing status is refused with its field');
select throws_ok($$select public.set_agent_capacity('10000000-0000-4000-8000-000000000001', 10)$$,
  '42501', 'only an admin can change capacity', 'an agent cannot change capacity, not even their own');
select throws_ok($$select public.set_agent_skills('10000000-0000-4000-8000-000000000001', '{billing}')$$,
  '42501', 'only an admin can change skills', 'an agent cannot change skills');
select throws_ok($$select public.set_queue_routing('20000000-0000-4000-8000-000000000001', 'round_robin')$$,
  '42501', 'only an admin can change a queue''s routing', 'an agent cannot change a queue''s routing');
select throws_ok($$select public.set_routing_defaults(3)$$, '42501', 'only an admin can change routing defaults',
  'an agent cannot change the default capacity');

-- Customer A's ticket that needs a skill (created while an agent acts, as agents may set skills).
select pg_temp.new_ticket(null, 0, '{billing}') as skilled_ticket \gset
select pg_temp.act_as('cust_a');
select throws_ok($$select public.set_agent_status('online')$$, '42501', 'only agents have a status', 'a customer has no status');
select throws_ok($$select public.set_agent_capacity('10000000-0000-4000-8000-000000000001', 10)$$,
  '42501', null, 'a customer cannot change capacity');
select throws_ok($$insert into public.tickets (subject, requester_id, required_skills) values ('x', '10000000-0000-4000-8000-00000000000a', '{billing}')$$,
  '42501', 'field "required_skills": only agents and admins set the skills a ticket needs',
  'a customer cannot set the skills a ticket needs');
select throws_ok($$update public.tickets set required_skills = '{billing}' where id = '30000000-0000-4000-8000-000000000001'$$,
  '42501', null, 'a customer cannot change the skills a ticket needs');
select throws_ok(format('update public.tickets set required_skills = %L where id = %L', '{}', :'skilled_ticket'),
  '42501', 'field "required_skills": only agents and admins set the skills a ticket needs',
  'a customer cannot clear the skills their own ticket needs (it could then go to an agent without them)');

select pg_temp.act_as('admin');
select is((public.set_agent_status('online', pg_temp.uid('agent_in'))).status, 'online'::public.agent_status,
  'an admin sets an agent''s status');
select is((public.set_agent_skills(pg_temp.uid('agent_in'), '{spanish,billing,spanish}')).skills, '{billing,spanish}'::text[],
  'skills are stored sorted, without duplicates');
select throws_ok($$select public.set_agent_skills('10000000-0000-4000-8000-000000000001', '{"Billing Team"}')$$,
  '23514', 'field "skills": "Billing Team" is not a skill name (lowercase letters, digits, _ and -, up to 40 characters)',
  'a bad skill name is refused with its field');
select throws_ok($$select public.set_agent_capacity('10000000-0000-4000-8000-000000000001', -1)$$,
  '23514', 'field "capacity": capacity must be a whole number from 0 to 1000 (or null to inherit)', 'a negative capacity is refused');
select throws_ok($$select public.set_agent_capacity('10000000-0000-4000-8000-00000000000a', 3)$$,
  'PT404', null, 'a customer has no capacity (not found as an agent)');
select throws_ok($$select public.set_queue_routing('20000000-0000-4000-8000-00000000dead', 'round_robin')$$,
  'PT404', null, 'routing of an unknown queue: not found');
select throws_ok($$select public.set_queue_routing('20000000-0000-4000-8000-000000000001', null)$$,
  '23514', 'field "mode": mode must be manual, round_robin or least_loaded', 'a missing mode is refused');
select throws_ok($$select public.route_waiting_tickets()$$, '42501', null, 'only the service role runs the sweep');
select pg_temp.act_as('service_role');
select is((public.set_agent_status('offline', pg_temp.uid('agent_in'))).status, 'offline'::public.agent_status,
  'the service role sets a status (the hosts on sign-out)');
select is(public.route_waiting_tickets(), 0, 'the sweep runs for the service role (nothing automatic yet)');
select is((public.deployment_status() #> '{pg_cron,scheduled_functions}' -> 1) ->> 'function', 'route_waiting_tickets',
  'autocrm doctor checks that the sweep is scheduled');

select pg_temp.act_as('agent_in');
select throws_ok($$update public.tickets set required_skills = '{"no spaces"}' where id = '30000000-0000-4000-8000-000000000001'$$,
  '23514', null, 'a bad required skill is refused');
update public.tickets set required_skills = '{spanish,billing}' where id = pg_temp.tid(1);
select is((pg_temp.ticket(pg_temp.tid(1))).required_skills, '{billing,spanish}'::text[], 'an agent sets the skills a ticket needs');

-- ============================ claims: capacity and skills in manual mode ============================
select pg_temp.act_as('postgres');
update public.tickets set required_skills = '{}' where id = pg_temp.tid(1);
select public.set_agent_skills(pg_temp.uid('agent_in'), '{}');
select public.set_routing_defaults(1);
select pg_temp.act_as('agent_in');
select is((select count(*) from public.claim_next_ticket()), 0::bigint, 'at the default capacity (1, holding T5) nothing is claimed');
select pg_temp.act_as('postgres');
select public.set_queue_routing(pg_temp.qid(1), 'manual', 2);
select pg_temp.act_as('agent_in');
select is((select id from public.claim_next_ticket()), pg_temp.tid(1), 'a queue''s capacity (2) overrides the default: T1 is claimed');
select is((select count(*) from public.claim_next_ticket()), 0::bigint, 'and then the queue''s capacity is reached');
select is(pg_temp.load(pg_temp.uid('agent_in')), 2, 'the counter followed the claim');
select pg_temp.act_as('postgres');
select public.set_agent_capacity(pg_temp.uid('agent_in'), 5);
update public.tickets set required_skills = '{billing}' where id = pg_temp.tid(2);
select pg_temp.act_as('agent_in');
select is((select count(*) from public.claim_next_ticket()), 0::bigint, 'T2 needs billing, which the agent lacks: not claimable');
select pg_temp.act_as('postgres');
select public.set_agent_skills(pg_temp.uid('agent_in'), '{billing}');
select pg_temp.act_as('agent_in');
select is((select id from public.claim_next_ticket()), pg_temp.tid(2),
  'with the skill (and an agent capacity of 5 overriding the queue''s 2) T2 is claimed');
select is(pg_temp.load(pg_temp.uid('agent_in')), 3, 'three open tickets');
select pg_temp.set_status(pg_temp.tid(2), 'pending');
select is(pg_temp.load(pg_temp.uid('agent_in')), 3, 'a pending ticket still counts');
select pg_temp.set_status(pg_temp.tid(2), 'solved');
select is(pg_temp.load(pg_temp.uid('agent_in')), 2, 'a solved ticket does not');

-- An assignment over the cap is refused for API callers; the service role (imports) may exceed it.
select pg_temp.act_as('postgres');
select public.set_agent_capacity(pg_temp.uid('agent_out'), 0);
select pg_temp.act_as('admin');
select throws_ok($$select public.assign_ticket('30000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002')$$,
  '23514', 'field "assignee_id": this agent is at capacity (0 open tickets, limit 0)', 'assign_ticket over capacity is refused');
select is(pg_temp.assignee(pg_temp.tid(3)), null::uuid, 'and nothing was assigned');
select pg_temp.act_as('service_role');
select is((public.assign_ticket(pg_temp.tid(3), pg_temp.uid('agent_out'))).assignee_id, pg_temp.uid('agent_out'),
  'the service role may exceed the cap');
select is(pg_temp.load(pg_temp.uid('agent_out')), 1, 'and the count says so');

-- ============================ round robin ============================
select pg_temp.act_as('postgres');
select public.set_routing_defaults(2);
select public.set_queue_routing(pg_temp.qid(3), 'round_robin');
create temp table rr (n int, ticket uuid);
grant select, insert on rr to authenticated;
insert into rr select 1, pg_temp.new_ticket(pg_temp.qid(3));
select is(pg_temp.assignee((select ticket from rr where n = 1)), null::uuid, 'nobody online: the ticket waits');
select pg_temp.act_as('cust_a');
with t as (insert into public.tickets (subject, requester_id, queue_id)
           values ('from the portal', pg_temp.uid('cust_a'), pg_temp.qid(3)) returning id)
insert into rr select 2, id from t;
select is(pg_temp.assignee((select ticket from rr where n = 2)), null::uuid, 'a customer''s ticket waits too');
select pg_temp.act_as('agent_out');
select throws_ok($$select public.set_agent_status('online', '10000000-0000-4000-8000-000000000011')$$, '42501', null,
  'one agent cannot bring another online');
select pg_temp.act_as('postgres');
select set_config('request.jwt.claims', json_build_object('sub', pg_temp.r(2), 'role', 'authenticated')::text, true);
set local role authenticated;
select is((public.set_agent_status('online')).open_tickets, 2, 'r2 comes online and takes the two waiting tickets (capacity 2)');
select pg_temp.act_as('postgres');
select is(pg_temp.assignee((select ticket from rr where n = 1)), pg_temp.r(2), 'the older waiting ticket went to r2');
select public.set_agent_status('online', pg_temp.r(1));
select public.set_agent_status('online', pg_temp.r(3));
select public.set_agent_capacity(pg_temp.r(2), 10);
-- r2 has just been assigned; r1 and r3 never: r1, r3 (ties by id), then r2, then r1 again.
insert into rr select n, pg_temp.new_ticket(pg_temp.qid(3)) from generate_series(3, 6) n;
select is(array(select pg_temp.assignee(ticket) from rr where n between 3 and 6 order by n),
          array[pg_temp.r(1), pg_temp.r(3), pg_temp.r(2), pg_temp.r(1)],
          'round robin: never-assigned agents first, then longest since last assignment');
select is((pg_temp.ticket((select ticket from rr where n = 3))).status, 'open'::public.ticket_status, 'an auto-assigned ticket is open');
-- Next in order is r3 (assigned longest ago); r1 is full (2 of the default 2).
select public.set_agent_status('away', pg_temp.r(3));
insert into rr select 7, pg_temp.new_ticket(pg_temp.qid(3));
select is(pg_temp.assignee((select ticket from rr where n = 7)), pg_temp.r(2), 'an away agent (r3, next in order) is skipped');

-- Release: routed again, not back to the agent who released it.
select set_config('request.jwt.claims', json_build_object('sub', pg_temp.r(2), 'role', 'authenticated')::text, true);
set local role authenticated;
select isnt((public.release_ticket((select ticket from rr where n = 7))).assignee_id, pg_temp.r(2),
  'a released ticket is routed again in the same transaction');
select pg_temp.act_as('postgres');
select is(pg_temp.assignee((select ticket from rr where n = 7)), null::uuid,
  'nobody else can take it (r1 full, r3 away) and it does not go back to r2: it waits');
select is(pg_temp.load(pg_temp.r(2)), 3, 'r2''s count dropped');

-- ============================ least loaded ============================
select public.set_queue_routing(pg_temp.qid(3), 'least_loaded');
select is(pg_temp.assignee((select ticket from rr where n = 7)), pg_temp.r(2),
  'switching the queue''s mode places its waiting ticket: r2 is the only one online with room');
select public.set_agent_capacity(pg_temp.r(1), 10);
select public.set_agent_capacity(pg_temp.r(2), 10);
select public.set_agent_status('online', pg_temp.r(3));
select public.set_agent_capacity(pg_temp.r(3), 4);
-- Loads now: r1 2 of 10, r2 4 of 10, r3 1 of 4 (spare 8, 6, 3).
select is(array[pg_temp.load(pg_temp.r(1)), pg_temp.load(pg_temp.r(2)), pg_temp.load(pg_temp.r(3))], array[2, 4, 1],
  'loads before the least-loaded round');
insert into rr select 8, pg_temp.new_ticket(pg_temp.qid(3));
select is(pg_temp.assignee((select ticket from rr where n = 8)), pg_temp.r(1), 'least loaded: most spare capacity (r1, 8)');
insert into rr select 9, pg_temp.new_ticket(pg_temp.qid(3));
select is(pg_temp.assignee((select ticket from rr where n = 9)), pg_temp.r(1),
  'r1 again (spare 7 against 6 and 3), although round robin would pick r3');
select public.set_agent_capacity(pg_temp.r(1), 7);
insert into rr select 12, pg_temp.new_ticket(pg_temp.qid(3));
select is(pg_temp.assignee((select ticket from rr where n = 12)), pg_temp.r(2),
  'spare capacity counts, not load: r1 (4 of 7, spare 3) loses to r2 (4 of 10, spare 6)');

-- ============================ skills in routing ============================
insert into rr select 10, pg_temp.new_ticket(pg_temp.qid(3), 0, '{spanish}');
select is(pg_temp.assignee((select ticket from rr where n = 10)), null::uuid, 'nobody speaks spanish: the ticket waits');
select public.set_agent_skills(pg_temp.r(3), '{spanish}');
select is(pg_temp.assignee((select ticket from rr where n = 10)), pg_temp.r(3), 'giving r3 the skill hands them the waiting ticket');
update public.tickets set required_skills = '{spanish,french}' where id = (select ticket from rr where n = 10);
select is(pg_temp.assignee((select ticket from rr where n = 10)), null::uuid,
  'a skill its assignee lacks takes the ticket from them; nobody has both, so it waits');

-- ============================ freeing capacity ============================
select public.set_agent_capacity(pg_temp.r(1), null);
select public.set_agent_capacity(pg_temp.r(2), null);
select public.set_agent_capacity(pg_temp.r(3), null);
select public.set_routing_defaults(0);
insert into rr select 11, pg_temp.new_ticket(pg_temp.qid(3), 0);
select is(pg_temp.assignee((select ticket from rr where n = 11)), null::uuid, 'everybody full (default 0): the ticket waits');
select public.set_agent_capacity(pg_temp.r(3), 1);
select is(pg_temp.assignee((select ticket from rr where n = 11)), null::uuid, 'r3 is still full (capacity 1, holds 1)');
select pg_temp.set_status((select ticket from rr where n = 6), 'solved');
select is(pg_temp.assignee((select ticket from rr where n = 11)), null::uuid, 'r1 solving does not help: r1 is over the default 0');
select is(pg_temp.load(pg_temp.r(3)), 1, 'r3 holds one ticket (t4)');
select pg_temp.set_status((select ticket from rr where n = 4), 'solved');
select is(pg_temp.assignee((select ticket from rr where n = 11)), pg_temp.r(3),
  'when r3 solves a ticket, the waiting one is theirs in the same transaction');
select is((select count(*) from public.agent_states s
            where s.open_tickets <> (select count(*) from public.tickets t where t.assignee_id = s.agent_id
                                      and t.status in ('new', 'open', 'pending', 'on_hold'))), 0::bigint,
  'every counter equals a real count');

-- Loads travel as internal events: staff read them, the requester does not.
select pg_temp.act_as('agent_in');
select is((select changes -> pg_temp.uid('agent_in')::text -> 1 from public.ticket_events
            where ticket_id = pg_temp.tid(1) and kind = 'agent_load_changed'),
          '{"open_tickets": 2, "capacity": 2}'::jsonb, 'the claim of T1 recorded the agent''s load after it, with the queue''s capacity');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(1) and kind = 'agent_load_changed'), 0::bigint,
  'the requester does not see agents'' loads');

select * from finish();
ROLLBACK;
