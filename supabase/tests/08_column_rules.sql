-- pgTAP: Column rules: what customers, agents, admins and service_role may change.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

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
