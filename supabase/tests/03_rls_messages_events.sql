-- pgTAP: Row-level security on ticket_messages and ticket_events: the six callers x select/insert/update/delete.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

SELECT plan(60);

-- ============================ ticket_messages: SELECT ============================
select pg_temp.act_as('anon');
select is_empty($$select 1 from public.ticket_messages$$, 'anon sees no messages');

select pg_temp.act_as('cust_a');
select results_eq($$select body from public.ticket_messages where id::text like '40000000-%' order by 1$$,
  array['M1', 'M4'], 'customer A sees the public messages of her tickets only (no internal notes)');
select is_empty($$select 1 from public.ticket_messages where visibility = 'internal'$$,
  'customer A sees no internal note at all');

select pg_temp.act_as('cust_b');
select results_eq($$select body from public.ticket_messages where id::text like '40000000-%' order by 1$$,
  array['M3'], 'customer B sees the public messages of his ticket only');

select pg_temp.act_as('agent_in');
select results_eq($$select body from public.ticket_messages where id::text like '40000000-%' order by 1$$,
  array['M1', 'M2', 'M3'], 'agent in Q1 sees public messages and internal notes of Q1 tickets');

select pg_temp.act_as('agent_out');
select results_eq($$select body from public.ticket_messages where id::text like '40000000-%' order by 1$$,
  array['M4', 'M5'], 'agent in Q2 sees Q2 conversations only');

select pg_temp.act_as('admin');
select results_eq($$select body from public.ticket_messages where id::text like '40000000-%' order by 1$$,
  array['M1', 'M2', 'M3', 'M4', 'M5'], 'admin sees every message');

select pg_temp.act_as('cust_a');
select results_eq($$select m.body from public.tickets t join public.ticket_messages m on m.ticket_id = t.id
                    where t.id = pg_temp.tid(1)$$,
  array['M1'], 'customer A reads T1''s conversation without the internal note');

-- ============================ ticket_messages: INSERT ============================
select pg_temp.act_as('anon');
select throws_ok($$insert into public.ticket_messages (ticket_id, author_id, body) values (pg_temp.tid(1), pg_temp.uid('cust_a'), 'anon')$$,
  '42501', null, 'anon cannot write messages');

select pg_temp.act_as('cust_a');
select lives_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'A replies')$$,
  'customer A replies publicly on her ticket (author_id defaults to auth.uid())');
select throws_ok($$insert into public.ticket_messages (ticket_id, body, visibility) values (pg_temp.tid(1), 'A note', 'internal')$$,
  '42501', null, 'customer A cannot write an internal note');
select throws_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(2), 'A on B')$$,
  '42501', null, 'customer A cannot write on customer B''s ticket');
select throws_ok($$insert into public.ticket_messages (ticket_id, author_id, body) values (pg_temp.tid(1), pg_temp.uid('cust_b'), 'spoof')$$,
  '42501', null, 'customer A cannot write as someone else');

select pg_temp.act_as('cust_b');
select lives_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(2), 'B replies')$$,
  'customer B replies on his ticket');
select throws_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'B on A')$$,
  '42501', null, 'customer B cannot write on customer A''s ticket');

select pg_temp.act_as('agent_in');
select lives_ok($$insert into public.ticket_messages (ticket_id, body, visibility) values (pg_temp.tid(1), 'internal note', 'internal')$$,
  'agent in Q1 writes an internal note on a Q1 ticket');
select lives_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(2), 'public reply')$$,
  'agent in Q1 replies publicly on a Q1 ticket');
select throws_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(3), 'not my queue')$$,
  '42501', null, 'agent in Q1 cannot write on a Q2 ticket');

select pg_temp.act_as('agent_out');
select throws_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'not my queue')$$,
  '42501', null, 'agent outside Q1 cannot write on a Q1 ticket');
select lives_ok($$insert into public.ticket_messages (ticket_id, body, visibility) values (pg_temp.tid(3), 'Q2 note', 'internal')$$,
  'agent in Q2 writes an internal note on a Q2 ticket');

select pg_temp.act_as('admin');
select lives_ok($$insert into public.ticket_messages (ticket_id, body, visibility) values (pg_temp.tid(2), 'admin note', 'internal')$$,
  'admin writes on any ticket');

-- ============================ ticket_messages: UPDATE ============================
select pg_temp.act_as('anon');
select is(pg_temp.affected($$update public.ticket_messages set body = 'x' where id = pg_temp.mid(1)$$), 0::bigint, 'anon updates no message');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$update public.ticket_messages set body = 'x' where id = pg_temp.mid(1)$$), 0::bigint, 'customer A cannot edit her sent message');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$update public.ticket_messages set body = 'x' where id = pg_temp.mid(1)$$), 0::bigint, 'customer B cannot edit A''s message');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$update public.ticket_messages set body = 'x' where id = pg_temp.mid(2)$$), 0::bigint, 'agent in Q1 cannot edit a message');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$update public.ticket_messages set body = 'x' where id = pg_temp.mid(1)$$), 0::bigint, 'agent outside Q1 cannot edit a message');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$update public.ticket_messages set body = 'M3 (redacted)' where id = pg_temp.mid(3)$$), 1::bigint, 'admin edits (redacts) a message');
select throws_ok($$update public.ticket_messages set ticket_id = pg_temp.tid(2) where id = pg_temp.mid(1)$$,
  '42501', null, 'not even an admin moves a message to another ticket');

-- ============================ ticket_messages: DELETE ============================
select pg_temp.act_as('anon');
select is(pg_temp.affected($$delete from public.ticket_messages where id = pg_temp.mid(1)$$), 0::bigint, 'anon deletes no message');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$delete from public.ticket_messages where id = pg_temp.mid(1)$$), 0::bigint, 'customer A cannot delete her message');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$delete from public.ticket_messages where id = pg_temp.mid(3)$$), 0::bigint, 'customer B cannot delete his message');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$delete from public.ticket_messages where id = pg_temp.mid(2)$$), 0::bigint, 'agent in Q1 cannot delete a note');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$delete from public.ticket_messages where id = pg_temp.mid(5)$$), 0::bigint, 'agent in Q2 cannot delete a note');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$delete from public.ticket_messages where id = pg_temp.mid(5)$$), 1::bigint, 'admin deletes a message');

-- ============================ ticket_events: SELECT ============================
select pg_temp.act_as('anon');
select is_empty($$select 1 from public.ticket_events$$, 'anon sees no events');

select pg_temp.act_as('cust_a');
select results_eq($$select distinct t.subject from public.ticket_events e join public.tickets t on t.id = e.ticket_id
                    where e.ticket_id::text like '30000000-%' order by 1$$,
  array['T1', 'T3', 'T5'], 'customer A sees the events of her tickets');
select is_empty($$select 1 from public.ticket_events e where not exists (
                   select 1 from public.tickets t where t.id = e.ticket_id and t.requester_id = pg_temp.uid('cust_a'))$$,
  'customer A sees no events of other tickets');

select pg_temp.act_as('cust_b');
select results_eq($$select distinct ticket_id from public.ticket_events where ticket_id::text like '30000000-%' order by 1$$,
  array[pg_temp.tid(2), pg_temp.tid(4)], 'customer B sees the events of his tickets');

select pg_temp.act_as('agent_in');
select results_eq($$select distinct ticket_id from public.ticket_events where ticket_id::text like '30000000-%' order by 1$$,
  array[pg_temp.tid(1), pg_temp.tid(2), pg_temp.tid(4), pg_temp.tid(5)], 'agent in Q1 sees the events of the tickets he works');

select pg_temp.act_as('agent_out');
select results_eq($$select distinct ticket_id from public.ticket_events where ticket_id::text like '30000000-%' order by 1$$,
  array[pg_temp.tid(3), pg_temp.tid(4), pg_temp.tid(5)], 'agent in Q2 sees Q2 and unqueued ticket events only');

select pg_temp.act_as('admin');
select results_eq($$select distinct ticket_id from public.ticket_events where ticket_id::text like '30000000-%' order by 1$$,
  array[pg_temp.tid(1), pg_temp.tid(2), pg_temp.tid(3), pg_temp.tid(4), pg_temp.tid(5)], 'admin sees every ticket''s events');

-- ============================ ticket_events: INSERT / UPDATE / DELETE (nobody) ============================
select pg_temp.act_as('anon');
select throws_ok($$insert into public.ticket_events (ticket_id, kind) values (pg_temp.tid(1), 'created')$$, '42501', null, 'anon cannot insert events');
select throws_ok($$update public.ticket_events set kind = 'created'$$, '42501', null, 'anon cannot update events');
select throws_ok($$delete from public.ticket_events$$, '42501', null, 'anon cannot delete events');

select pg_temp.act_as('cust_a');
select throws_ok($$insert into public.ticket_events (ticket_id, kind) values (pg_temp.tid(1), 'created')$$, '42501', null, 'customer A cannot insert events');
select throws_ok($$update public.ticket_events set kind = 'created' where ticket_id = pg_temp.tid(1)$$, '42501', null, 'customer A cannot update events');
select throws_ok($$delete from public.ticket_events where ticket_id = pg_temp.tid(1)$$, '42501', null, 'customer A cannot delete events');

select pg_temp.act_as('cust_b');
select throws_ok($$insert into public.ticket_events (ticket_id, kind) values (pg_temp.tid(2), 'created')$$, '42501', null, 'customer B cannot insert events');
select throws_ok($$update public.ticket_events set kind = 'created' where ticket_id = pg_temp.tid(2)$$, '42501', null, 'customer B cannot update events');
select throws_ok($$delete from public.ticket_events where ticket_id = pg_temp.tid(2)$$, '42501', null, 'customer B cannot delete events');

select pg_temp.act_as('agent_in');
select throws_ok($$insert into public.ticket_events (ticket_id, kind) values (pg_temp.tid(1), 'created')$$, '42501', null, 'agent in Q1 cannot insert events');
select throws_ok($$update public.ticket_events set kind = 'created' where ticket_id = pg_temp.tid(1)$$, '42501', null, 'agent in Q1 cannot update events');
select throws_ok($$delete from public.ticket_events where ticket_id = pg_temp.tid(1)$$, '42501', null, 'agent in Q1 cannot delete events');

select pg_temp.act_as('agent_out');
select throws_ok($$insert into public.ticket_events (ticket_id, kind) values (pg_temp.tid(1), 'created')$$, '42501', null, 'agent outside Q1 cannot insert events');
select throws_ok($$update public.ticket_events set kind = 'created' where ticket_id = pg_temp.tid(1)$$, '42501', null, 'agent outside Q1 cannot update events');
select throws_ok($$delete from public.ticket_events where ticket_id = pg_temp.tid(1)$$, '42501', null, 'agent outside Q1 cannot delete events');

select pg_temp.act_as('admin');
select throws_ok($$insert into public.ticket_events (ticket_id, kind) values (pg_temp.tid(1), 'created')$$, '42501', null, 'admin cannot insert events');
select throws_ok($$update public.ticket_events set kind = 'created' where ticket_id = pg_temp.tid(1)$$, '42501', null, 'admin cannot update events');
select throws_ok($$delete from public.ticket_events where ticket_id = pg_temp.tid(1)$$, '42501', null, 'admin cannot delete events');

select pg_temp.act_as('postgres');
select ok((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(1) and kind = 'created') = 1,
  'T1 still has exactly its one created event');

SELECT * FROM finish();
ROLLBACK;
