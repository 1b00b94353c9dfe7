-- pgTAP: Agent-only field values: stored apart from the ticket row, invisible to customers through select, embeds, RPC and ticket_events, for every role; inserts, upserts and definition changes.
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


create function pg_temp.put(n int, kv text) returns void language plpgsql as $p$
begin
  execute format('update public.tickets set metadata = metadata || %L::jsonb where id = %L', kv, pg_temp.tid(n));
end
$p$;
create function pg_temp.stored(n int) returns jsonb language sql security definer as $s$
  select metadata from public.tickets where id = pg_temp.tid(n)
$s$;
create function pg_temp.agent_stored(id uuid) returns jsonb language sql security definer as $s$
  select metadata from public.ticket_agent_fields where ticket_id = id
$s$;
create function pg_temp.stash_size() returns bigint language sql security definer as $s$
  select count(*) from autocrm_private.ticket_field_stash
$s$;
create function pg_temp.field_event_count() returns bigint language sql security definer as $s$
  select count(*) from public.ticket_events where kind = 'fields_changed'
$s$;
-- What a caller sees of T1 through every read path: the row, an embed of the agent-only values (the shape PostgREST
-- builds for tickets?select=*,ticket_agent_fields(*)), ticket_events, and the RPC ticket_field_values.
create function pg_temp.seen_of_t1() returns text language sql as $v$
  select concat_ws(' | ',
    (select to_jsonb(t)::text from public.tickets t where t.id = pg_temp.tid(1)),
    (select jsonb_agg(x.embed)::text from public.tickets t
       left join lateral (select to_jsonb(a) as embed from public.ticket_agent_fields a where a.ticket_id = t.id) x on true
      where t.id = pg_temp.tid(1)),
    (select jsonb_agg(to_jsonb(e))::text from public.ticket_events e where e.ticket_id = pg_temp.tid(1)),
    (select public.ticket_field_values(t.id)::text from public.tickets t where t.id = pg_temp.tid(1)))
$v$;

insert into public.ticket_fields (key, label, type, options, customer_visible, customer_editable) values
  ('plan', 'Plan', 'dropdown', '["free", "pro"]', true, true),
  ('vip', 'VIP', 'checkbox', '[]', false, false),
  ('score', 'Score', 'integer', '[]', false, false);

select pg_temp.act_as('agent_in');
select pg_temp.put(1, '{"plan": "pro", "vip": true, "score": 10}');
select pg_temp.put(5, '{"score": 3}');

SELECT plan(49);

-- ============================ storage ============================
select pg_temp.act_as('postgres');
select is(pg_temp.stored(1), '{"plan": "pro"}'::jsonb, 'agent-only values never enter the tickets row');
select is(pg_temp.agent_stored(pg_temp.tid(1)), '{"vip": true, "score": 10}'::jsonb, 'they are stored in ticket_agent_fields');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(1) and kind = 'fields_changed' and visibility = 'internal'
              and changes = '{"vip": [null, true], "score": [null, 10]}'), 1::bigint,
  'their change is recorded in an internal fields_changed event');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(1) and kind = 'fields_changed' and visibility = 'public'
              and changes = '{"plan": [null, "pro"]}'), 1::bigint,
  'customer-visible changes of the same update go in a public event');

-- ============================ what each role sees ============================
select pg_temp.act_as('cust_a');
select ok(pg_temp.seen_of_t1() !~ '"(vip|score)"', 'the requester sees no agent-only key or value in the row, an embed, ticket_events or ticket_field_values');
select ok(pg_temp.seen_of_t1() ~ '"plan"', '(she does see the customer-visible field, so the paths were read)');
select is_empty($$select * from public.ticket_agent_fields$$, 'the requester reads no row of ticket_agent_fields');
select is_empty($$select * from public.ticket_events where visibility = 'internal'$$, 'the requester reads no internal event');
select is(public.ticket_field_values(pg_temp.tid(1)), '{"plan": "pro"}'::jsonb, 'ticket_field_values gives her the visible values only');
select is_empty($$select * from public.ticket_fields where not customer_visible$$, 'nor does she see agent-only definitions');
select pg_temp.act_as('cust_b');
select is(pg_temp.seen_of_t1(), '', 'another customer sees nothing of the ticket');
select throws_ok($$select public.ticket_field_values(pg_temp.tid(1))$$, 'PT404', null, 'ticket_field_values: not found for another customer');
select pg_temp.act_as('anon');
select throws_ok($$select * from public.ticket_agent_fields$$, '42501', null, 'anon cannot read ticket_agent_fields');
select pg_temp.act_as('agent_in');
select is((select metadata from public.ticket_agent_fields where ticket_id = pg_temp.tid(1)), '{"vip": true, "score": 10}'::jsonb,
  'an agent of the ticket''s queue reads the agent-only values');
select is(public.ticket_field_values(pg_temp.tid(1)), '{"vip": true, "plan": "pro", "score": 10}'::jsonb,
  'ticket_field_values gives staff every value');
select ok(pg_temp.seen_of_t1() ~ '"vip"', 'the agent sees the internal event and the embed');
select pg_temp.act_as('agent_out');
select is_empty($$select * from public.ticket_agent_fields where ticket_id = pg_temp.tid(1)$$,
  'an agent outside the ticket''s queue does not read its agent-only values');
select is((select metadata from public.ticket_agent_fields where ticket_id = pg_temp.tid(5)), '{"score": 3}'::jsonb,
  'but reads those of tickets in her queue');
select pg_temp.act_as('admin');
select is((select count(*) from public.ticket_agent_fields), 2::bigint, 'an admin reads every ticket''s agent-only values');
select pg_temp.act_as('service_role');
select is((select count(*) from public.ticket_agent_fields), 2::bigint, 'so does the service role');

-- ============================ RPC results ============================
select pg_temp.act_as('agent_in');
select is((select to_jsonb(c) ?| array['vip', 'score'] or c.metadata ?| array['vip', 'score'] from public.claim_next_ticket(pg_temp.qid(1)) c),
  false, 'RPCs returning tickets rows (claim_next_ticket) carry no agent-only value');

-- ============================ writes that keep agent-only values ============================
select pg_temp.act_as('cust_a');
select lives_ok($$update public.tickets set metadata = '{"plan": "free"}', subject = 'T1 edited' where id = pg_temp.tid(1)$$,
  'the requester replaces her metadata');
select pg_temp.act_as('postgres');
select is(pg_temp.agent_stored(pg_temp.tid(1)), '{"vip": true, "score": 10}'::jsonb, 'agent-only values are untouched by customer writes');
select pg_temp.act_as('agent_in');
select lives_ok($$update public.tickets set metadata = '{"plan": "free"}' where id = pg_temp.tid(1)$$,
  'an agent replaces the metadata without the agent-only keys');
select is(pg_temp.agent_stored(pg_temp.tid(1)), '{"vip": true, "score": 10}'::jsonb, 'a left-out agent-only key keeps its value');
select lives_ok($$select pg_temp.put(1, '{"vip": null}')$$, 'an agent clears an agent-only field with null');
select is(pg_temp.agent_stored(pg_temp.tid(1)), '{"score": 10}'::jsonb, 'it is cleared');
select is((select changes from public.ticket_events where ticket_id = pg_temp.tid(1) and kind = 'fields_changed' order by id desc limit 1),
  '{"vip": [true, null]}'::jsonb, 'and the change recorded');

-- ============================ inserts ============================
select pg_temp.act_as('agent_in');
select lives_ok($$insert into public.tickets (id, subject, requester_id, queue_id, metadata)
                  values ('30000000-0000-4000-8000-0000000000aa', 'New', pg_temp.uid('cust_a'), pg_temp.qid(1), '{"vip": true, "plan": "pro"}')$$,
  'an agent creates a ticket with an agent-only value');
select pg_temp.act_as('postgres');
select is((select metadata from public.tickets where id = '30000000-0000-4000-8000-0000000000aa'), '{"plan": "pro"}'::jsonb,
  'the new row has no agent-only key');
select is(pg_temp.agent_stored('30000000-0000-4000-8000-0000000000aa'), '{"vip": true}'::jsonb, 'the value is stored apart');
select is((select array_agg(visibility::text || ' ' || changes::text order by id) from public.ticket_events
            where ticket_id = '30000000-0000-4000-8000-0000000000aa' and kind = 'fields_changed'),
  array['public {"plan": [null, "pro"]}', 'internal {"vip": [null, true]}'], 'the creation''s values are recorded with their visibility');
select pg_temp.act_as('agent_in');
select lives_ok($$insert into public.tickets (id, subject, requester_id, metadata) values (pg_temp.tid(1), 'Dup', pg_temp.uid('cust_a'), '{"score": 99}')
                  on conflict (id) do nothing$$, 'INSERT ... ON CONFLICT DO NOTHING onto an existing ticket');
select pg_temp.act_as('postgres');
select is(pg_temp.agent_stored(pg_temp.tid(1)), '{"score": 10}'::jsonb, 'a skipped row stores nothing');
select pg_temp.act_as('agent_in');
select lives_ok($$insert into public.tickets (id, subject, requester_id, metadata) values (pg_temp.tid(1), 'Upsert', pg_temp.uid('cust_a'), '{"score": 11, "plan": "pro"}')
                  on conflict (id) do update set metadata = excluded.metadata$$, 'INSERT ... ON CONFLICT DO UPDATE (an upsert)');
select pg_temp.act_as('postgres');
select is(pg_temp.agent_stored(pg_temp.tid(1)), '{"score": 11}'::jsonb, 'the upsert''s agent-only value is applied as an update');
select is(pg_temp.stored(1), '{"plan": "pro"}'::jsonb, 'and kept out of the row');
select pg_temp.act_as('agent_in');
select throws_ok($$insert into public.tickets (id, subject, requester_id, metadata) values (pg_temp.tid(1), 'Dup', pg_temp.uid('cust_a'), '{"score": 1}')$$,
  '23505', null, 'a plain INSERT with a taken id fails as before');
select pg_temp.act_as('postgres');
select is(pg_temp.stash_size(), 0::bigint, 'nothing is left in the insert stash');

-- ============================ definition changes move values ============================
select pg_temp.act_as('admin');
select pg_temp.field_event_count() as events_before \gset
select lives_ok($$update public.ticket_fields set customer_visible = true where key = 'score'$$, 'an admin makes an agent-only field customer-visible');
select pg_temp.act_as('postgres');
select is(pg_temp.stored(1) -> 'score', '11'::jsonb, 'its values move into the tickets rows');
select is(pg_temp.agent_stored(pg_temp.tid(1)) -> 'score', null, 'and out of ticket_agent_fields');
select is(pg_temp.field_event_count(), :events_before::bigint, 'a move is not recorded as a change');
select pg_temp.act_as('admin');
select lives_ok($$update public.ticket_fields set customer_visible = false where key = 'score'$$, 'the admin makes it agent-only again');
select pg_temp.act_as('postgres');
select is((select count(*) from public.tickets where metadata ? 'score'), 0::bigint, 'every value leaves the tickets rows');
select is(pg_temp.agent_stored(pg_temp.tid(5)), '{"score": 3}'::jsonb, 'and is back in ticket_agent_fields');
update public.tickets set metadata = metadata || '{"escalation": "L2"}' where id = pg_temp.tid(4);
select pg_temp.act_as('admin');
insert into public.ticket_fields (key, label, type) values ('escalation', 'Escalation', 'text');
select pg_temp.act_as('postgres');
select ok(not pg_temp.stored(4) ? 'escalation' and pg_temp.agent_stored(pg_temp.tid(4)) = '{"escalation": "L2"}',
  'defining an agent-only field moves existing free-form values under its key out of the tickets rows');
select pg_temp.act_as('admin');
delete from public.ticket_fields where key in ('score', 'plan');
select pg_temp.act_as('postgres');
select is((select count(*) from public.ticket_agent_fields where metadata ? 'score'), 0::bigint,
  'deleting an agent-only field deletes its values');
select is(pg_temp.stored(1) -> 'plan', '"pro"'::jsonb, 'deleting a customer-visible field leaves its values as free-form keys');

SELECT * FROM finish();
ROLLBACK;
