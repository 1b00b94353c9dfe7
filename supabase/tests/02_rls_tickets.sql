-- pgTAP: Row-level security on tickets: anon, customer A, customer B, agent in/out of the queue, admin (+ service_role) x select/insert/update/delete.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

SELECT plan(44);

-- ============================ tickets: SELECT ============================
select pg_temp.act_as('anon');
select is_empty($$select 1 from public.tickets$$, 'anon sees no tickets');

select pg_temp.act_as('cust_a');
select results_eq($$select subject from public.tickets where id::text like '30000000-%' order by 1$$,
  array['T1', 'T3', 'T5'], 'customer A sees exactly her own tickets');
select is_empty($$select 1 from public.tickets where requester_id <> pg_temp.uid('cust_a')$$,
  'customer A sees no ticket of anyone else');

select pg_temp.act_as('cust_b');
select results_eq($$select subject from public.tickets where id::text like '30000000-%' order by 1$$,
  array['T2', 'T4'], 'customer B sees exactly his own tickets');

select pg_temp.act_as('agent_in');
select results_eq($$select subject from public.tickets where id::text like '30000000-%' order by 1$$,
  array['T1', 'T2', 'T4', 'T5'], 'agent in Q1 sees Q1 tickets, unqueued tickets and tickets assigned to him, not T3');

select pg_temp.act_as('agent_out');
select results_eq($$select subject from public.tickets where id::text like '30000000-%' order by 1$$,
  array['T3', 'T4', 'T5'], 'agent in Q2 sees Q2 and unqueued tickets, not Q1 tickets');

select pg_temp.act_as('admin');
select results_eq($$select subject from public.tickets where id::text like '30000000-%' order by 1$$,
  array['T1', 'T2', 'T3', 'T4', 'T5'], 'admin sees every ticket');

select pg_temp.act_as('service_role');
select results_eq($$select subject from public.tickets where id::text like '30000000-%' order by 1$$,
  array['T1', 'T2', 'T3', 'T4', 'T5'], 'service_role sees every ticket');

-- ============================ tickets: INSERT ============================
select pg_temp.act_as('anon');
select throws_ok($$insert into public.tickets (subject, requester_id) values ('anon', pg_temp.uid('cust_a'))$$,
  '42501', null, 'anon cannot create tickets');

select pg_temp.act_as('cust_a');
select lives_ok($$insert into public.tickets (id, subject) values ('31000000-0000-4000-8000-000000000001', 'A new')$$,
  'customer A creates a ticket; requester_id defaults to auth.uid()');
select is((pg_temp.ticket('31000000-0000-4000-8000-000000000001')).requester_id, pg_temp.uid('cust_a'),
  'the default requester is the caller');
select lives_ok($$insert into public.tickets (id, subject) values ('31000000-0000-4000-8000-000000000001', 'A retry')
                  on conflict do nothing$$,
  'customer A retries the insert with the same client id and ON CONFLICT DO NOTHING');
select is((pg_temp.ticket('31000000-0000-4000-8000-000000000001')).subject, 'A new',
  'the retried insert changed nothing');
select results_eq($$insert into public.tickets (id, subject, queue_id) values ('31000000-0000-4000-8000-000000000002', 'A q', pg_temp.qid(1))
                    on conflict (id) do nothing returning subject$$,
  array['A q'], 'customer A inserts with RETURNING (return=representation) and may pick a queue at creation');
select throws_ok($$insert into public.tickets (subject, requester_id) values ('A for B', pg_temp.uid('cust_b'))$$,
  '42501', null, 'customer A cannot create a ticket for customer B');

select pg_temp.act_as('cust_b');
select lives_ok($$insert into public.tickets (id, subject, requester_id) values ('31000000-0000-4000-8000-000000000003', 'B new', pg_temp.uid('cust_b'))$$,
  'customer B creates his own ticket');

select pg_temp.act_as('agent_in');
select lives_ok($$insert into public.tickets (id, subject, requester_id, queue_id) values ('31000000-0000-4000-8000-000000000004', 'for A', pg_temp.uid('cust_a'), pg_temp.qid(1))$$,
  'agent in Q1 creates a Q1 ticket on behalf of customer A');
select throws_ok($$insert into public.tickets (subject, requester_id, queue_id) values ('for A', pg_temp.uid('cust_a'), pg_temp.qid(2))$$,
  '42501', null, 'agent in Q1 cannot create a ticket in Q2');

select pg_temp.act_as('agent_out');
select throws_ok($$insert into public.tickets (subject, requester_id, queue_id) values ('for A', pg_temp.uid('cust_a'), pg_temp.qid(1))$$,
  '42501', null, 'agent outside Q1 cannot create a Q1 ticket for someone else');
select lives_ok($$insert into public.tickets (subject, requester_id, queue_id) values ('for B', pg_temp.uid('cust_b'), pg_temp.qid(2))$$,
  'agent in Q2 creates a Q2 ticket for customer B');

select pg_temp.act_as('admin');
select lives_ok($$insert into public.tickets (subject, requester_id, queue_id, assignee_id, status) values ('by admin', pg_temp.uid('cust_b'), pg_temp.qid(1), pg_temp.uid('agent_in'), 'open')$$,
  'admin creates an assigned ticket in any queue for anyone');

select pg_temp.act_as('service_role');
select lives_ok($$insert into public.tickets (subject, requester_id, status) values ('by service', pg_temp.uid('cust_a'), 'solved')$$,
  'service_role creates tickets in any state');

-- ============================ tickets: UPDATE ============================
select pg_temp.act_as('anon');
select is(pg_temp.affected($$update public.tickets set subject = 'x' where id = pg_temp.tid(1)$$), 0::bigint,
  'anon updates no ticket');

select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$update public.tickets set subject = 'T1 edited by A' where id = pg_temp.tid(1)$$), 1::bigint,
  'customer A updates her own ticket');
select is(pg_temp.affected($$update public.tickets set subject = 'x' where id = pg_temp.tid(2)$$), 0::bigint,
  'customer A cannot update customer B''s ticket');

select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$update public.tickets set subject = 'T2 edited by B' where id = pg_temp.tid(2)$$), 1::bigint,
  'customer B updates his own ticket');
select is(pg_temp.affected($$update public.tickets set subject = 'x' where id = pg_temp.tid(1)$$), 0::bigint,
  'customer B cannot update customer A''s ticket');

select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$update public.tickets set priority = 'high' where id = pg_temp.tid(1)$$), 1::bigint,
  'agent in Q1 updates a Q1 ticket');
select is(pg_temp.affected($$update public.tickets set priority = 'high' where id = pg_temp.tid(3)$$), 0::bigint,
  'agent in Q1 cannot update a Q2 ticket');
select is(pg_temp.affected($$update public.tickets set priority = 'high' where id = pg_temp.tid(5)$$), 1::bigint,
  'agent updates a ticket assigned to him outside his queues');

select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$update public.tickets set priority = 'low' where id = pg_temp.tid(1)$$), 0::bigint,
  'agent outside Q1 cannot update a Q1 ticket');
select is(pg_temp.affected($$update public.tickets set priority = 'low' where id = pg_temp.tid(3)$$), 1::bigint,
  'agent in Q2 updates a Q2 ticket');

select pg_temp.act_as('admin');
select is(pg_temp.affected($$update public.tickets set tags = '{vip}' where id::text like '30000000-%'$$), 5::bigint,
  'admin updates every ticket');

select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(2))).subject, 'T2 edited by B', 'customer A''s update of T2 changed nothing');
select is((pg_temp.ticket(pg_temp.tid(3))).priority, 'low'::public.ticket_priority, 'agent in Q1''s update of T3 changed nothing');

-- ============================ tickets: DELETE ============================
select pg_temp.act_as('anon');
select is(pg_temp.affected($$delete from public.tickets where id = pg_temp.tid(1)$$), 0::bigint, 'anon deletes no ticket');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$delete from public.tickets where id = pg_temp.tid(1)$$), 0::bigint, 'customer A cannot delete her ticket');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$delete from public.tickets where id = pg_temp.tid(1)$$), 0::bigint, 'customer B cannot delete A''s ticket');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$delete from public.tickets where id = pg_temp.tid(1)$$), 0::bigint, 'agent in Q1 cannot delete a Q1 ticket');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$delete from public.tickets where id = pg_temp.tid(1)$$), 0::bigint, 'agent outside Q1 cannot delete a Q1 ticket');
select throws_ok($$truncate public.tickets cascade$$, '42501', null, 'API users cannot TRUNCATE tickets');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$delete from public.tickets where id = pg_temp.tid(4)$$), 1::bigint, 'admin deletes a ticket');
select pg_temp.act_as('service_role');
select is(pg_temp.affected($$delete from public.tickets where id = pg_temp.tid(3)$$), 1::bigint, 'service_role deletes a ticket');
select pg_temp.act_as('postgres');
select isnt(pg_temp.ticket(pg_temp.tid(1)), null, 'T1 still exists after the denied deletes');

SELECT * FROM finish();
ROLLBACK;
