-- pgTAP: Triggers: ticket_events history, version/updated_at, solved_at/closed_at, first_response_at, reopen on customer reply.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

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
