-- pgTAP: Agent-only field values: stored apart from the ticket row, invisible to customers through select, embeds, RPC and ticket_events, for every role; inserts, upserts and definition changes.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql


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
