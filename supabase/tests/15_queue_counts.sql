-- pgTAP: the per-queue ticket counters behind queue_stats(), and claim_next_ticket across several queues.
BEGIN;
-- Runs on a database with the platform bootstrap + migrations only. Callers are simulated as Supabase does
-- (role + request.jwt.claims, transaction-local), as in 06_queue_functions.sql.
--
-- Fixture (created below as postgres, rolled back at the end):
--   customer   C  50000000-0000-4000-8000-00000000000c
--   agent_two  50000000-0000-4000-8000-000000000001 (member of QA and QB)
--   agent_one  50000000-0000-4000-8000-000000000002 (member of QB)
--   queues     QA 60000000-0000-4000-8000-000000000001   QB 60000000-0000-4000-8000-000000000002
--              QC 60000000-0000-4000-8000-000000000003 (no members; deleted during the test)
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
declare
  v_sub text := case who
    when 'cust' then '50000000-0000-4000-8000-00000000000c'
    when 'agent_two' then '50000000-0000-4000-8000-000000000001'
    when 'agent_one' then '50000000-0000-4000-8000-000000000002'
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

create function pg_temp.qid(n int) returns uuid language sql immutable as $u$
  select ('60000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;
create function pg_temp.tid(n int) returns uuid language sql immutable as $u$
  select ('70000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;

-- The counters, summed over shards, and the same figures counted from the tickets: they must always agree.
create function pg_temp.counted() returns table (queue_id uuid, status text, unassigned boolean, tickets bigint)
language sql as $c$
  select c.queue_id, c.status::text, c.unassigned, sum(c.tickets)::bigint
    from public.queue_ticket_counts c
   group by c.queue_id, c.status, c.unassigned
  having sum(c.tickets) <> 0
$c$;
create function pg_temp.actual() returns table (queue_id uuid, status text, unassigned boolean, tickets bigint)
language sql as $a$
  select t.queue_id, t.status::text, t.assignee_id is null, count(*)::bigint
    from public.tickets t
   where t.queue_id is not null
   group by t.queue_id, t.status, t.assignee_id is null
$a$;

insert into auth.users (id, email) values
  ('50000000-0000-4000-8000-00000000000c', 'count.cust@test.local'),
  ('50000000-0000-4000-8000-000000000001', 'count.agent.two@test.local'),
  ('50000000-0000-4000-8000-000000000002', 'count.agent.one@test.local');
update public.profiles set role = 'agent'
 where id in ('50000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000002');
insert into public.queues (id, slug, name) values
  (pg_temp.qid(1), 'count-qa', 'Count A'), (pg_temp.qid(2), 'count-qb', 'Count B'), (pg_temp.qid(3), 'count-qc', 'Count C');
insert into public.queue_members (queue_id, agent_id) values
  (pg_temp.qid(1), '50000000-0000-4000-8000-000000000001'),
  (pg_temp.qid(2), '50000000-0000-4000-8000-000000000001'),
  (pg_temp.qid(2), '50000000-0000-4000-8000-000000000002');

-- Claim order across QA and QB: urgent first (oldest urgent first, whatever the queue), then high, then normal by age.
insert into public.tickets (id, subject, requester_id, queue_id, priority, status, created_at) values
  (pg_temp.tid(1), 'A normal old', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(1), 'normal', 'new', now() - interval '9 hours'),
  (pg_temp.tid(2), 'B urgent newer', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(2), 'urgent', 'new', now() - interval '1 hour'),
  (pg_temp.tid(3), 'A urgent older', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(1), 'urgent', 'new', now() - interval '2 hours'),
  (pg_temp.tid(4), 'B high', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(2), 'high', 'open', now() - interval '3 hours'),
  (pg_temp.tid(5), 'B normal newer', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(2), 'normal', 'new', now() - interval '5 hours'),
  (pg_temp.tid(6), 'C urgent', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(3), 'urgent', 'new', now() - interval '30 hours'),
  (pg_temp.tid(7), 'A pending', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(1), 'urgent', 'pending', now() - interval '40 hours'),
  (pg_temp.tid(8), 'no queue', '50000000-0000-4000-8000-00000000000c', null, 'urgent', 'new', now() - interval '50 hours');

SELECT plan(21);

-- ============================ who may touch the counters ============================
select is(has_table_privilege('authenticated', 'public.queue_ticket_counts', 'select'), false, 'signed-in users cannot read the counters');
select is(has_table_privilege('anon', 'public.queue_ticket_counts', 'select'), false, 'anon cannot read the counters');
select is(has_table_privilege('service_role', 'public.queue_ticket_counts', 'update'), false,
  'the service key cannot write the counters (only the triggers do)');
select is((select relrowsecurity from pg_class where oid = 'public.queue_ticket_counts'::regclass), true, 'the counters have row-level security on');
select is(has_function_privilege('authenticated', 'public.refresh_generated_data()', 'execute'), false,
  'signed-in users cannot run the bulk-load refresh');
select is(has_function_privilege('authenticated', 'public.recount_queue_tickets()', 'execute'), false,
  'signed-in users cannot recount');

select set_eq('select * from pg_temp.counted()', 'select * from pg_temp.actual()', 'inserts are counted per queue, status and unassigned');

-- ============================ claims across queues ============================
select pg_temp.act_as('agent_two');
select results_eq($$select subject, status::text from public.claim_next_ticket()$$, $$values ('A urgent older', 'open')$$,
  'an agent of two queues claims the oldest urgent ticket of either');
select results_eq($$select subject from public.claim_next_ticket()$$, array['B urgent newer'], 'then the other urgent one');
select results_eq($$select subject from public.claim_next_ticket()$$, array['B high'], 'then high');
select results_eq($$select subject from public.claim_next_ticket()$$, array['A normal old'], 'then the oldest normal one');
select results_eq($$select subject from public.claim_next_ticket()$$, array['B normal newer'], 'then the next');
select is_empty($$select * from public.claim_next_ticket()$$,
  'never a ticket of a queue the agent does not work, a pending one or an unqueued one');
select pg_temp.act_as('postgres');
select set_eq('select * from pg_temp.counted()', 'select * from pg_temp.actual()', 'claims move tickets from new and unassigned to open and assigned');

-- ============================ every kind of change ============================
select pg_temp.act_as('agent_one');
update public.tickets set status = 'pending' where id = pg_temp.tid(2);
select pg_temp.act_as('postgres');
update public.tickets set assignee_id = null where id = pg_temp.tid(4);
update public.tickets set status = 'solved' where id = pg_temp.tid(5);
update public.tickets set queue_id = pg_temp.qid(2) where id = pg_temp.tid(1);
update public.tickets set queue_id = null where id = pg_temp.tid(3);
update public.tickets set queue_id = pg_temp.qid(1) where id = pg_temp.tid(8);
update public.tickets set subject = 'renamed', priority = 'low' where id = pg_temp.tid(7);
delete from public.tickets where id = pg_temp.tid(6);
select set_eq('select * from pg_temp.counted()', 'select * from pg_temp.actual()',
  'status changes, unassigning, transfers (into, between and out of queues), other edits and deletes keep the counters exact');

select pg_temp.act_as('agent_two');
select results_eq($$select slug, new_count, open_count, pending_count, on_hold_count, solved_count, closed_count, unassigned_count
                    from public.queue_stats() order by slug$$,
  $$values ('count-qa'::text, 1::bigint, 0::bigint, 1::bigint, 0::bigint, 0::bigint, 0::bigint, 2::bigint),
           ('count-qb'::text, 0::bigint, 2::bigint, 1::bigint, 0::bigint, 1::bigint, 0::bigint, 1::bigint)$$,
  'queue_stats() reports the counters for the agent''s queues');
select is((select oldest_unassigned_at from public.queue_stats() where slug = 'count-qa'), now() - interval '50 hours',
  'and the oldest unassigned active ticket of each queue');

-- A deleted queue's tickets become unqueued: the queue disappears from the statistics and nothing else moves.
select pg_temp.act_as('postgres');
insert into public.tickets (id, subject, requester_id, queue_id, status) values
  (pg_temp.tid(9), 'C again', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(3), 'open');
delete from public.queues where id = pg_temp.qid(3);
select is((select queue_id from public.tickets where id = pg_temp.tid(9)), null::uuid, 'deleting a queue leaves its tickets unqueued');
select set_eq('select * from pg_temp.counted()', 'select * from pg_temp.actual()', 'and the counters follow');

-- A bulk load with triggers off (the data generator) is repaired by the refresh it calls afterwards.
set local session_replication_role = replica;
insert into public.tickets (id, subject, requester_id, queue_id, status) values
  (pg_temp.tid(10), 'bulk', '50000000-0000-4000-8000-00000000000c', pg_temp.qid(1), 'new');
set local session_replication_role = origin;
select ok(exists (select * from pg_temp.actual() except select * from pg_temp.counted()),
  'rows written with triggers off are not counted');
select public.refresh_generated_data();
select set_eq('select * from pg_temp.counted()', 'select * from pg_temp.actual()', 'refresh_generated_data() recounts them');

SELECT * FROM finish();
ROLLBACK;
