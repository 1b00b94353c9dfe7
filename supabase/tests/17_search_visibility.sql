-- pgTAP: what search_tickets shows to each role. Internal notes are searchable by staff only; a search never returns
-- a ticket the caller cannot select; a customer's match, rank and snippet never come from an internal note.
BEGIN;
-- Fixture (as postgres, rolled back at the end):
--   customers  A 10000000-…-00000000000a   B …-00000000000b      agent_in (Q1) …-000000000001
--   agent_out (Q2) …-000000000002          admin …-000000000003
--   tickets    T1 A/Q1  T2 B/Q1  T3 A/Q2  T4 B/no queue  T5 A/Q2 assigned to agent_in  T6 agent_out/Q1 (an agent as
--              requester)  (33000000-…-00000000000N). Every subject has the word "ledger".
--   T1 has a public message and an internal note; only the note has "zeppelin"; both have "escalation".
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
create function pg_temp.tid(n int) returns uuid language sql immutable as $u$
  select ('33000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;
-- ts_rank over the customer-visible document alone (read as the owner).
create function pg_temp.public_rank(p_ticket uuid, p_query text) returns real language sql security definer as $r$
  select ts_rank(d.ticket_part || d.conversation, to_tsquery('english', p_query))
    from autocrm_private.ticket_search_documents d where d.ticket_id = p_ticket
$r$;
-- The fixture tickets a search returns, as T<n> labels in order.
create function pg_temp.found(p_query text) returns text[] language sql as $f$
  select coalesce(array_agg('T' || right(s.id::text, 1) order by s.id), '{}')
    from public.search_tickets(p_query) s where s.id::text like '33000000-%'
$f$;

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
insert into public.tickets (id, subject, requester_id, queue_id, assignee_id) values
  (pg_temp.tid(1), 'Ledger export fails', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001', null),
  (pg_temp.tid(2), 'Ledger totals wrong', '10000000-0000-4000-8000-00000000000b', '20000000-0000-4000-8000-000000000001', null),
  (pg_temp.tid(3), 'Ledger locked', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000002', null),
  (pg_temp.tid(4), 'Ledger question', '10000000-0000-4000-8000-00000000000b', null, null),
  (pg_temp.tid(5), 'Ledger colours', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001'),
  (pg_temp.tid(6), 'Ledger access for me', '10000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000001', null);
insert into public.ticket_messages (ticket_id, author_id, visibility, body) values
  (pg_temp.tid(1), '10000000-0000-4000-8000-00000000000a', 'public', 'The export stops halfway. Is there an escalation path?'),
  (pg_temp.tid(1), '10000000-0000-4000-8000-000000000001', 'internal', 'Escalation: the zeppelin cluster drops long exports.');

SELECT plan(31);

-- ================ a word that is only in an internal note ================
select pg_temp.act_as('cust_a');
select is(pg_temp.found('zeppelin'), '{}', 'the requester does not find her ticket by a word of its internal note');
select is(pg_temp.found('ledger zeppelin'), '{}', 'nor with a word she can read beside it');
select is(pg_temp.found('"zeppelin cluster"'), '{}', 'nor by a phrase of the note');
select is(pg_temp.found('zeppelin or nonexistentword'), '{}', 'nor through an or');
select pg_temp.act_as('cust_b');
select is(pg_temp.found('zeppelin'), '{}', 'another customer does not find it');
select pg_temp.act_as('anon');
select is(pg_temp.found('zeppelin'), '{}', 'anon finds nothing (and gets no error)');
select pg_temp.act_as('agent_in');
select is(pg_temp.found('zeppelin'), '{T1}', 'an agent of the ticket''s queue finds it by its internal note');
select matches((select snippet from public.search_tickets('zeppelin') where id = pg_temp.tid(1)), '<mark>zeppelin</mark> cluster',
  'and gets a snippet of the note');
select pg_temp.act_as('agent_out');
select is(pg_temp.found('zeppelin'), '{}', 'an agent outside the queue does not find it');
select pg_temp.act_as('admin');
select is(pg_temp.found('zeppelin'), '{T1}', 'an admin finds it');
select pg_temp.act_as('service_role');
select is(pg_temp.found('zeppelin'), '{T1}', 'the service role finds it');

-- ================ custom field values: agent-only ones are staff-only text ================
select pg_temp.act_as('postgres');
insert into public.ticket_fields (key, label, type, customer_visible) values
  ('search_tier', 'Tier', 'text', false),
  ('search_plan', 'Plan', 'text', true);
update public.tickets set metadata = metadata || '{"search_tier": "quasargold", "search_plan": "nebulapro"}'
 where id = pg_temp.tid(1);
select pg_temp.act_as('cust_a');
select is(pg_temp.found('quasargold'), '{}', 'the requester does not find her ticket by an agent-only field value');
select is(pg_temp.found('nebulapro'), '{T1}', 'she finds it by a customer-visible field value');
select pg_temp.act_as('agent_in');
select is(pg_temp.found('quasargold'), '{T1}', 'an agent of the queue finds it by the agent-only value');
select pg_temp.act_as('agent_out');
select is(pg_temp.found('quasargold'), '{}', 'an agent outside the queue does not');

-- ================ snippets and ranks come from what the caller may read ================
select pg_temp.act_as('cust_a');
select is(pg_temp.found('escalation'), '{T1}', 'the requester finds the ticket by a word in her own message');
select unalike((select snippet from public.search_tickets('escalation') where id = pg_temp.tid(1)), '%zeppelin%',
  'her snippet never quotes the internal note, though the note matches too');
select matches((select snippet from public.search_tickets('escalation') where id = pg_temp.tid(1)), 'an <mark>escalation</mark> path',
  'it quotes her own message');
select is((select rank from public.search_tickets('escalation') where id = pg_temp.tid(1)),
          pg_temp.public_rank(pg_temp.tid(1), 'escalation'),
  'her rank is computed on the customer-visible document only');
select pg_temp.act_as('agent_in');
select cmp_ok((select rank from public.search_tickets('escalation') where id = pg_temp.tid(1)), '>',
              pg_temp.public_rank(pg_temp.tid(1), 'escalation'),
  'staff rank on the note as well');

-- ================ a search returns exactly what the caller may select ================
select pg_temp.act_as('cust_a');
select is(pg_temp.found('ledger'), '{T1,T3,T5}', 'customer A: her own tickets');
select pg_temp.act_as('cust_b');
select is(pg_temp.found('ledger'), '{T2,T4}', 'customer B: his own tickets');
select pg_temp.act_as('agent_in');
select is(pg_temp.found('ledger'), '{T1,T2,T4,T5,T6}', 'agent in Q1: Q1, unqueued and assigned tickets');
select pg_temp.act_as('agent_out');
select is(pg_temp.found('ledger'), '{T3,T4,T5,T6}', 'agent in Q2: Q2 and unqueued tickets and the one he asked');
select pg_temp.act_as('admin');
select is(pg_temp.found('ledger'), '{T1,T2,T3,T4,T5,T6}', 'admin: all');
select pg_temp.act_as('anon');
select is(pg_temp.found('ledger'), '{}', 'anon: none');

-- The same, for every role, against select itself (so a change of the tickets policy that search does not follow
-- fails here).
create function pg_temp.same_as_select() returns boolean language sql as $s$
  select pg_temp.found('ledger') = coalesce((select array_agg('T' || right(t.id::text, 1) order by t.id)
                                               from public.tickets t where t.id::text like '33000000-%'), '{}')
$s$;
select pg_temp.act_as('cust_a');
select ok(pg_temp.same_as_select(), 'customer A: search = select');
select pg_temp.act_as('agent_in');
select ok(pg_temp.same_as_select(), 'agent in Q1: search = select');
select pg_temp.act_as('agent_out');
select ok(pg_temp.same_as_select(), 'agent in Q2: search = select');

-- ================ the internal step cannot be used to see more ================
select pg_temp.act_as('cust_a');
select is((select count(*) from autocrm_private.search_ticket_candidates('ledger', null) c
            where c.ticket_id in (pg_temp.tid(2), pg_temp.tid(4), pg_temp.tid(6))), 0::bigint,
  'called directly, the candidate step returns no ticket of anyone else');
select throws_ok($$select autocrm_private.search_tsquery('zeppelin')$$, '42501', null,
  'the vocabulary cannot be probed through the query parser');

SELECT * FROM finish();
ROLLBACK;
