-- pgTAP: Queue functions: queue_stats, claim_next_ticket, release_ticket, assign_ticket, transfer_ticket, set_user_role.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

SELECT plan(61);

-- Extra Q1 tickets for claim order: T6 urgent (-1h), T7 low (-10h), T8 urgent (-2h), T9 high (-30min),
-- T10 pending (not claimable), T11 open but unassigned (claimable).
select pg_temp.act_as('postgres');
insert into public.tickets (id, subject, requester_id, queue_id, priority, status, created_at) values
  (pg_temp.tid(6), 'T6', pg_temp.uid('cust_a'), pg_temp.qid(1), 'urgent', 'new', now() - interval '1 hour'),
  (pg_temp.tid(7), 'T7', pg_temp.uid('cust_a'), pg_temp.qid(1), 'low', 'new', now() - interval '10 hours'),
  (pg_temp.tid(8), 'T8', pg_temp.uid('cust_b'), pg_temp.qid(1), 'urgent', 'new', now() - interval '2 hours'),
  (pg_temp.tid(9), 'T9', pg_temp.uid('cust_b'), pg_temp.qid(1), 'high', 'new', now() - interval '30 minutes'),
  (pg_temp.tid(10), 'T10', pg_temp.uid('cust_b'), pg_temp.qid(1), 'urgent', 'pending', now() - interval '20 hours'),
  (pg_temp.tid(11), 'T11', pg_temp.uid('cust_b'), pg_temp.qid(1), 'normal', 'open', now() - interval '4 hours 30 minutes');

-- ============================ queue_stats ============================
select pg_temp.act_as('agent_in');
select results_eq($$select slug, new_count, open_count, pending_count, on_hold_count, solved_count, closed_count, unassigned_count, oldest_unassigned_at
                    from public.queue_stats() where slug like 'test-%'$$,
  $$values ('test-q1'::text, 6::bigint, 1::bigint, 1::bigint, 0::bigint, 0::bigint, 0::bigint, 8::bigint, now() - interval '20 hours')$$,
  'queue_stats: an agent gets his own queues only, with counts by status, unassigned count and oldest unassigned ticket');
select is_empty($$select 1 from public.queue_stats() where slug not in (select q.slug from public.queues q
                  join public.queue_members m on m.queue_id = q.id where m.agent_id = pg_temp.uid('agent_in'))$$,
  'queue_stats: no row for a queue the agent does not work');
select pg_temp.act_as('agent_out');
select results_eq($$select slug, new_count, unassigned_count from public.queue_stats() where slug like 'test-%'$$,
  $$values ('test-q2'::text, 2::bigint, 1::bigint)$$, 'queue_stats: agent in Q2 sees Q2 only');
select pg_temp.act_as('admin');
select results_eq($$select slug from public.queue_stats() where slug like 'test-%'$$, array['test-q1', 'test-q2'],
  'queue_stats: an admin sees every queue');
select pg_temp.act_as('service_role');
select results_eq($$select slug from public.queue_stats() where slug like 'test-%'$$, array['test-q1', 'test-q2'],
  'queue_stats: service_role sees every queue');
select pg_temp.act_as('cust_a');
select is_empty($$select * from public.queue_stats()$$, 'queue_stats: a customer sees nothing');
select pg_temp.act_as('anon');
select is_empty($$select * from public.queue_stats()$$, 'queue_stats: anon sees nothing');

-- ============================ claim_next_ticket ============================
select pg_temp.act_as('cust_a');
select throws_ok($$select * from public.claim_next_ticket()$$, '42501', 'only agents can claim tickets', 'a customer cannot claim');
select throws_ok($$select * from public.claim_next_ticket(queue_id => pg_temp.qid(1))$$, '42501', null, 'a customer cannot claim from a named queue');
select pg_temp.act_as('anon');
select throws_ok($$select * from public.claim_next_ticket()$$, '42501', null, 'anon cannot claim');

select pg_temp.act_as('agent_out');
select throws_ok($$select * from public.claim_next_ticket(queue_id => pg_temp.qid(1))$$, '42501', null,
  'an agent cannot claim from a queue he is not a member of');
select throws_ok($$select * from public.claim_next_ticket(queue_id => '20000000-0000-4000-8000-0000000000ee')$$, 'PT404', null,
  'claiming from an unknown queue is a not-found error');
select results_eq($$select subject, status::text from public.claim_next_ticket()$$, $$values ('T3', 'open')$$,
  'agent in Q2 claims the only unassigned Q2 ticket (T5 is assigned, Q1 is not his)');
select is_empty($$select * from public.claim_next_ticket()$$, 'nothing left: claim returns no row');

select pg_temp.act_as('agent_in');
select results_eq($$select subject, assignee_id, status::text from public.claim_next_ticket()$$,
  $$values ('T8', pg_temp.uid('agent_in'), 'open')$$, 'urgent first, oldest urgent first; the claim assigns the caller and moves new -> open');
select results_eq($$select subject from public.claim_next_ticket(queue_id => pg_temp.qid(1))$$, array['T6'],
  'then the other urgent ticket (named queue)');
select results_eq($$select subject from public.claim_next_ticket()$$, array['T9'], 'then high');
select results_eq($$select subject, status::text from public.claim_next_ticket()$$, $$values ('T1', 'open')$$, 'then the oldest normal ticket');
select results_eq($$select subject, status::text from public.claim_next_ticket()$$, $$values ('T11', 'open')$$, 'then an open unassigned ticket');
select results_eq($$select subject from public.claim_next_ticket()$$, array['T2'], 'then the next normal ticket');
select results_eq($$select subject from public.claim_next_ticket()$$, array['T7'], 'low priority last');
select is_empty($$select * from public.claim_next_ticket()$$, 'pending and unqueued tickets are never claimed');
select pg_temp.act_as('postgres');
select results_eq($$select kind from public.ticket_events where ticket_id = pg_temp.tid(8) and kind <> 'created' order by kind$$,
  array['assignee_changed', 'status_changed'], 'a claim is recorded in the ticket history');
select is((select actor_id from public.ticket_events where ticket_id = pg_temp.tid(8) and kind = 'assignee_changed'),
  pg_temp.uid('agent_in'), 'the claim event names the claiming agent');
select ok(pg_get_functiondef('public.claim_next_ticket(uuid)'::regprocedure) ilike '%for update of t skip locked%',
  'claim_next_ticket locks with FOR UPDATE SKIP LOCKED');

select pg_temp.act_as('admin');
select is_empty($$select * from public.claim_next_ticket()$$, 'an admin in no queue claims nothing without naming a queue');

-- ============================ release_ticket ============================
select pg_temp.act_as('cust_a');
select throws_ok($$select public.release_ticket(ticket_id => pg_temp.tid(1))$$, '42501', null, 'a customer cannot release');
select pg_temp.act_as('agent_out');
select throws_ok($$select public.release_ticket(ticket_id => pg_temp.tid(1))$$, 'PT404', null,
  'an agent outside the queue cannot release (the ticket is not visible to him)');
select throws_ok($$select public.release_ticket(ticket_id => pg_temp.tid(5))$$, '42501', null,
  'an agent cannot release a ticket assigned to someone else');
select pg_temp.act_as('agent_in');
select results_eq($$select assignee_id, status::text from public.release_ticket(ticket_id => pg_temp.tid(8))$$,
  $$values (null::uuid, 'open')$$, 'the assignee releases his ticket: unassigned, still open');
select throws_ok($$select public.release_ticket(ticket_id => '30000000-0000-4000-8000-0000000000ee')$$, 'PT404', null,
  'releasing an unknown ticket is a not-found error');
select pg_temp.act_as('admin');
select results_eq($$select assignee_id from public.release_ticket(ticket_id => pg_temp.tid(6))$$, array[null::uuid],
  'an admin releases anyone''s ticket');

-- ============================ assign_ticket ============================
select pg_temp.act_as('cust_a');
select throws_ok($$select public.assign_ticket(ticket_id => pg_temp.tid(8), agent_id => pg_temp.uid('agent_in'))$$, '42501', null,
  'a customer cannot assign');
select pg_temp.act_as('agent_in');
select throws_ok($$select public.assign_ticket(ticket_id => pg_temp.tid(8), agent_id => pg_temp.uid('agent_out'))$$, '42501', null,
  'an agent cannot assign to an agent outside the ticket''s queue');
select throws_ok($$select public.assign_ticket(ticket_id => pg_temp.tid(8), agent_id => pg_temp.uid('cust_b'))$$, '23514', null,
  'nobody assigns a ticket to a customer');
select throws_ok($$select public.assign_ticket(ticket_id => pg_temp.tid(8), agent_id => '10000000-0000-4000-8000-0000000000ee')$$, 'PT404', null,
  'assigning to an unknown user is a not-found error');
select results_eq($$select assignee_id from public.assign_ticket(ticket_id => pg_temp.tid(8), agent_id => pg_temp.uid('agent_in'))$$,
  array[pg_temp.uid('agent_in')], 'an agent assigns a Q1 ticket to a Q1 member');
select results_eq($$select assignee_id from public.assign_ticket(ticket_id => pg_temp.tid(8), agent_id => null)$$,
  array[null::uuid], 'agent_id null unassigns');
select pg_temp.act_as('agent_out');
select throws_ok($$select public.assign_ticket(ticket_id => pg_temp.tid(8), agent_id => pg_temp.uid('agent_out'))$$, 'PT404', null,
  'an agent cannot assign a ticket of a queue he does not work');
select pg_temp.act_as('admin');
select results_eq($$select assignee_id from public.assign_ticket(ticket_id => pg_temp.tid(8), agent_id => pg_temp.uid('agent_out'))$$,
  array[pg_temp.uid('agent_out')], 'an admin assigns to any agent, member or not');
select pg_temp.act_as('postgres');
insert into public.tickets (id, subject, requester_id, queue_id) values (pg_temp.tid(12), 'T12', pg_temp.uid('cust_a'), pg_temp.qid(1));
select pg_temp.act_as('service_role');
select results_eq($$select assignee_id, status::text from public.assign_ticket(ticket_id => pg_temp.tid(12), agent_id => pg_temp.uid('agent_out'))$$,
  $$values (pg_temp.uid('agent_out'), 'open')$$, 'service_role assigns anyone; assigning a new ticket opens it');

-- ============================ transfer_ticket ============================
select pg_temp.act_as('cust_a');
select throws_ok($$select public.transfer_ticket(ticket_id => pg_temp.tid(1), queue_id => pg_temp.qid(2))$$, '42501', null,
  'a customer cannot transfer');
select pg_temp.act_as('agent_out');
select throws_ok($$select public.transfer_ticket(ticket_id => pg_temp.tid(1), queue_id => pg_temp.qid(2))$$, 'PT404', null,
  'an agent cannot transfer a ticket he cannot see');
select pg_temp.act_as('agent_in');
select throws_ok($$select public.transfer_ticket(ticket_id => pg_temp.tid(1), queue_id => '20000000-0000-4000-8000-0000000000ee')$$, 'PT404', null,
  'transferring to an unknown queue is a not-found error');
select results_eq($$select queue_id, assignee_id from public.transfer_ticket(ticket_id => pg_temp.tid(1), queue_id => pg_temp.qid(2))$$,
  $$values (pg_temp.qid(2), null::uuid)$$, 'an agent transfers his ticket to another queue; it becomes unassigned');
select is_empty($$select 1 from public.tickets where id = pg_temp.tid(1)$$, 'after the transfer the Q1 agent no longer sees it');
select pg_temp.act_as('postgres');
select results_eq($$select kind from public.ticket_events where ticket_id = pg_temp.tid(1) and kind in ('queue_changed', 'assignee_changed')
                    order by id desc limit 2$$, array['queue_changed', 'assignee_changed'], 'the transfer is in the ticket history');
select pg_temp.act_as('admin');
select results_eq($$select queue_id from public.transfer_ticket(ticket_id => pg_temp.tid(1), queue_id => null)$$, array[null::uuid],
  'an admin moves a ticket out of every queue');

-- ============================ set_user_role ============================
select pg_temp.act_as('anon');
select throws_ok($$select public.set_user_role(user_id => pg_temp.uid('cust_b'), role => 'agent')$$, '42501', null, 'anon cannot change roles');
select pg_temp.act_as('cust_a');
select throws_ok($$select public.set_user_role(user_id => pg_temp.uid('cust_a'), role => 'admin')$$, '42501', null, 'a customer cannot change roles');
select pg_temp.act_as('agent_in');
select throws_ok($$select public.set_user_role(user_id => pg_temp.uid('agent_in'), role => 'admin')$$, '42501',
  'only an admin can change a user''s role', 'an agent cannot change roles');
select pg_temp.act_as('admin');
select results_eq($$select id, role::text from public.set_user_role(user_id => pg_temp.uid('cust_b'), role => 'agent')$$,
  $$values (pg_temp.uid('cust_b'), 'agent')$$, 'an admin promotes a customer to agent');
select throws_ok($$select public.set_user_role(user_id => '10000000-0000-4000-8000-0000000000ee', role => 'agent')$$, 'PT404', null,
  'changing the role of an unknown user is a not-found error');
select lives_ok($$select public.set_user_role(user_id => pg_temp.uid('agent_in'), role => 'customer')$$, 'an admin demotes an agent');
select pg_temp.act_as('postgres');
select is_empty($$select 1 from public.queue_members where agent_id = pg_temp.uid('agent_in')$$,
  'a demoted agent leaves his queues');
select pg_temp.act_as('service_role');
select results_eq($$select role::text from public.set_user_role(user_id => pg_temp.uid('agent_in'), role => 'agent')$$, array['agent'],
  'service_role changes roles');

-- ============================ helper functions do not leak ============================
select pg_temp.act_as('anon');
select throws_ok($$select public.is_queue_member(pg_temp.qid(1), pg_temp.uid('agent_in'))$$, '42501', null,
  'anon cannot call the membership helper');
select pg_temp.act_as('cust_a');
select is(public.is_queue_member(pg_temp.qid(1), pg_temp.uid('agent_in')), false,
  'a customer learns nothing about queue membership from the helper');
select throws_ok($$select public.check_assignee(pg_temp.uid('agent_in'), pg_temp.qid(1), 'admin')$$, '42501', null,
  'a customer cannot use the assignee check');
select pg_temp.act_as('postgres');
insert into public.queue_members (queue_id, agent_id) values (pg_temp.qid(1), pg_temp.uid('agent_in'));
select pg_temp.act_as('agent_out');
select is(public.is_queue_member(pg_temp.qid(1), pg_temp.uid('agent_in')), true, 'staff can check another agent''s membership');

-- Claims leave dead index entries where the next claim probes: tickets are vacuumed at 2 % dead, not the default 20 %.
SELECT is((SELECT reloptions FROM pg_class WHERE oid = 'public.tickets'::regclass),
  ARRAY['autovacuum_vacuum_scale_factor=0.02'], 'tickets are vacuumed once 2 % of them are dead');

SELECT * FROM finish();
ROLLBACK;
