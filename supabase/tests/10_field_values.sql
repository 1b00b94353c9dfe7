-- pgTAP: Custom field values: every type, required rules per role, required-to-solve, archived fields, customer rules, events, set_ticket_field.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql


-- Errors as clients see them: SQLSTATE, message and DETAIL.
create function pg_temp.error_of(stmt text) returns jsonb language plpgsql as $e$
declare v_detail text;
begin
  execute stmt;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return jsonb_build_object('code', sqlstate, 'message', sqlerrm, 'detail', nullif(v_detail, ''));
end
$e$;
-- Merges keys into a ticket's metadata as the current caller.
create function pg_temp.put(n int, kv text) returns void language plpgsql as $p$
begin
  execute format('update public.tickets set metadata = metadata || %L::jsonb where id = %L', kv, pg_temp.tid(n));
end
$p$;
-- Reads that bypass row-level security (what was really stored).
create function pg_temp.stored(n int) returns jsonb language sql security definer as $s$
  select metadata from public.tickets where id = pg_temp.tid(n)
$s$;
create function pg_temp.agent_stored(n int) returns jsonb language sql security definer as $s$
  select metadata from public.ticket_agent_fields where ticket_id = pg_temp.tid(n)
$s$;
create function pg_temp.field_events(n int) returns setof jsonb language sql security definer as $s$
  select jsonb_build_object('visibility', visibility, 'changes', changes) from public.ticket_events
   where ticket_id = pg_temp.tid(n) and kind = 'fields_changed' order by id
$s$;
-- A new ticket as the current caller; returns its id.
create function pg_temp.new_ticket(meta text, queue uuid default null, requester uuid default null) returns uuid language plpgsql as $n$
declare v_id uuid := gen_random_uuid();
begin
  execute format('insert into public.tickets (id, subject, metadata, queue_id, requester_id) values (%L, ''New'', %L::jsonb, %L, %L)',
                 v_id, meta, queue, coalesce(requester, auth.uid()));
  return v_id;
end
$n$;

insert into public.ticket_fields (key, label, type, options, pattern, customer_visible, customer_editable) values
  ('plan', 'Plan', 'dropdown', '["free", "pro", "enterprise"]', null, true, true),
  ('seats', 'Seats', 'integer', '[]', null, true, true),
  ('amount', 'Amount', 'decimal', '[]', null, true, false),
  ('vip', 'VIP', 'checkbox', '[]', null, false, false),
  ('due', 'Due date', 'date', '[]', null, true, true),
  ('langs', 'Languages', 'multiselect', '["en", "fr", "de"]', null, true, true),
  ('note', 'Note', 'text', '[]', null, true, true),
  ('details', 'Details', 'textarea', '[]', null, true, true),
  ('order_ref', 'Order', 'regex', '[]', '[A-Z]{3}-[0-9]+', true, true),
  ('tier', 'Tier', 'dropdown', '["gold", "silver"]', null, false, false),
  ('legacy', 'Legacy', 'text', '[]', null, true, true);
update public.tickets set metadata = '{"legacy": "kept", "channel": "email"}' where id = pg_temp.tid(2);
update public.ticket_fields set active = false where key = 'legacy';

SELECT plan(93);

-- ============================ every type, as an agent on T1 ============================
select pg_temp.act_as('agent_in');
-- text
select lives_ok($$select pg_temp.put(1, '{"note": "hello"}')$$, 'text: one line is accepted');
select throws_ok($$select pg_temp.put(1, '{"note": 42}')$$, '23514', 'field "note": expected text, got 42', 'text: a number is refused');
select throws_ok($$select pg_temp.put(1, '{"note": "a\nb"}')$$, '23514', 'field "note": expected one line of text', 'text: a line break is refused');
select throws_ok(format($$select pg_temp.put(1, %L)$$, jsonb_build_object('note', repeat('x', 1001))), '23514',
  'field "note": is longer than 1000 characters', 'text: more than 1000 characters is refused');
-- textarea
select lives_ok($$select pg_temp.put(1, '{"details": "line 1\nline 2"}')$$, 'textarea: several lines are accepted');
select throws_ok(format($$select pg_temp.put(1, %L)$$, jsonb_build_object('details', repeat('x', 10001))), '23514',
  'field "details": is longer than 10000 characters', 'textarea: more than 10000 characters is refused');
select throws_ok($$select pg_temp.put(1, '{"details": ["a"]}')$$, '23514', 'field "details": expected text, got ["a"]', 'textarea: an array is refused');
-- integer
select lives_ok($$select pg_temp.put(1, '{"seats": 42}')$$, 'integer: 42 is accepted');
select lives_ok($$select pg_temp.put(1, '{"seats": 3.0}')$$, 'integer: 3.0 is accepted');
select is(pg_temp.stored(1) -> 'seats', '3'::jsonb, 'integer: 3.0 is stored as 3');
select throws_ok($$select pg_temp.put(1, '{"seats": 3.5}')$$, '23514', 'field "seats": expected an integer, got 3.5', 'integer: 3.5 is refused');
select throws_ok($$select pg_temp.put(1, '{"seats": "42"}')$$, '23514', 'field "seats": expected an integer, got "42"', 'integer: a string is refused');
select throws_ok($$select pg_temp.put(1, '{"seats": 9007199254740992}')$$, '23514',
  'field "seats": 9007199254740992 is outside -9007199254740991..9007199254740991', 'integer: beyond 2^53 - 1 is refused');
-- decimal
select lives_ok($$select pg_temp.put(1, '{"amount": 12.50}')$$, 'decimal: 12.50 is accepted');
select is(pg_temp.stored(1) -> 'amount', '12.50'::jsonb, 'decimal: stored as given');
select throws_ok($$select pg_temp.put(1, '{"amount": "12.5"}')$$, '23514', 'field "amount": expected a number, got "12.5"', 'decimal: a string is refused');
select is(pg_temp.error_of($$select pg_temp.put(1, '{"amount": 1e29}')$$) ->> 'detail', '{"field": "amount", "rule": "range"}',
  'decimal: beyond the .NET decimal range is refused');
select is(pg_temp.error_of($$select pg_temp.put(1, '{"amount": 0.00000000000000000000000000001}')$$) ->> 'detail',
  '{"field": "amount", "rule": "range"}', 'decimal: more than 28 decimal places is refused');
-- checkbox (vip is agent-only: its value goes to ticket_agent_fields)
select lives_ok($$select pg_temp.put(1, '{"vip": true}')$$, 'checkbox: true is accepted');
select is(pg_temp.agent_stored(1) -> 'vip', 'true'::jsonb, 'checkbox: stored (agent-only, apart from the ticket row)');
select throws_ok($$select pg_temp.put(1, '{"vip": "true"}')$$, '23514', 'field "vip": expected true or false, got "true"', 'checkbox: a string is refused');
select throws_ok($$select pg_temp.put(1, '{"vip": 1}')$$, '23514', 'field "vip": expected true or false, got 1', 'checkbox: a number is refused');
-- date
select lives_ok($$select pg_temp.put(1, '{"due": "2024-02-29"}')$$, 'date: a leap day is accepted');
select throws_ok($$select pg_temp.put(1, '{"due": "2023-02-29"}')$$, '23514', 'field "due": "2023-02-29" is not a calendar date', 'date: 2023-02-29 is refused');
select throws_ok($$select pg_temp.put(1, '{"due": "2024-1-5"}')$$, '23514', 'field "due": expected a date as "YYYY-MM-DD", got "2024-1-5"', 'date: another format is refused');
select throws_ok($$select pg_temp.put(1, '{"due": "2024-02-29T10:00:00Z"}')$$, '23514', null, 'date: a timestamp is refused');
select throws_ok($$select pg_temp.put(1, '{"due": 20240229}')$$, '23514', null, 'date: a number is refused');
-- dropdown
select lives_ok($$select pg_temp.put(1, '{"plan": "pro"}')$$, 'dropdown: an option is accepted');
select is(pg_temp.error_of($$select pg_temp.put(1, '{"plan": "platinum"}')$$),
  jsonb_build_object('code', '23514', 'message', 'field "plan": "platinum" is not one of free, pro, enterprise',
                     'detail', '{"field": "plan", "rule": "option"}'),
  'dropdown: another value is refused with code 23514, a message naming the field and the options, and detail {field, rule}');
select throws_ok($$select pg_temp.put(1, '{"plan": 1}')$$, '23514', 'field "plan": expected one of the options as text, got 1', 'dropdown: a number is refused');
-- multiselect
select lives_ok($$select pg_temp.put(1, '{"langs": ["fr", "en"]}')$$, 'multiselect: options are accepted');
select is(pg_temp.stored(1) -> 'langs', '["fr", "en"]'::jsonb, 'multiselect: stored in the given order');
select throws_ok($$select pg_temp.put(1, '{"langs": ["en", "xx"]}')$$, '23514', 'field "langs": "xx" is not one of en, fr, de', 'multiselect: an unknown option is refused');
select throws_ok($$select pg_temp.put(1, '{"langs": ["en", "en"]}')$$, '23514', 'field "langs": "en" is selected twice', 'multiselect: duplicates are refused');
select throws_ok($$select pg_temp.put(1, '{"langs": "en"}')$$, '23514', 'field "langs": expected an array of options, got "en"', 'multiselect: a bare string is refused');
select throws_ok($$select pg_temp.put(1, '{"langs": [1]}')$$, '23514', 'field "langs": expected an array of options as text, got [1]', 'multiselect: numbers are refused');
-- regex
select lives_ok($$select pg_temp.put(1, '{"order_ref": "ABC-12"}')$$, 'regex: a matching value is accepted');
select throws_ok($$select pg_temp.put(1, '{"order_ref": "abc-12"}')$$, '23514', 'field "order_ref": "abc-12" does not match the pattern [A-Z]{3}-[0-9]+',
  'regex: a value that does not match is refused');
select throws_ok($$select pg_temp.put(1, '{"order_ref": "xABC-12"}')$$, '23514', null, 'regex: the whole value must match');
-- empty values clear
select lives_ok($$select pg_temp.put(1, '{"seats": null, "plan": "", "langs": []}')$$, 'null, "" and [] are accepted');
select ok(not (pg_temp.stored(1) ?| array['seats', 'plan', 'langs']), 'null, "" and [] clear the field (the key is removed)');
-- free-form keys stay free
select lives_ok($$select pg_temp.put(1, '{"whatever": {"nested": [1, "x"]}, "seats2": "ten"}')$$, 'undefined keys stay free-form');
select ok(pg_temp.stored(1) ? 'whatever', 'a free-form key is stored as given');
select throws_ok($$select pg_temp.put(1, '{"plan": "gold", "seats": 1}')$$, '23514', null, 'a statement with one bad value changes nothing');
select is(pg_temp.stored(1) -> 'seats', null, 'nothing of the refused statement was stored');

-- ============================ required fields ============================
select pg_temp.act_as('postgres');
update public.ticket_fields set required_for_customers = true where key = 'plan';
update public.ticket_fields set required_for_agents = true where key in ('seats', 'tier');
select pg_temp.act_as('cust_a');
select is(pg_temp.error_of($$select pg_temp.new_ticket('{}')$$),
  jsonb_build_object('code', '23514', 'message', 'field "plan": a value is required', 'detail', '{"field": "plan", "rule": "required"}'),
  'a customer''s new ticket needs every field required for customers');
select lives_ok($$select pg_temp.new_ticket('{"plan": "free"}')$$, 'a customer''s new ticket with the required field is accepted');
select lives_ok($$select pg_temp.new_ticket('{"plan": "free"}')$$, 'fields required for agents are not required of customers');
select throws_ok($$update public.tickets set metadata = metadata - 'plan' where id = (select id from public.tickets where subject = 'New' limit 1)$$,
  '23514', 'field "plan": a value is required', 'a customer cannot clear a field required for customers');
select lives_ok($$update public.tickets set subject = 'Older ticket' where id = pg_temp.tid(3)$$,
  'a customer''s ticket from before the field was required can still be updated');
select pg_temp.act_as('agent_in');
select throws_ok($$select pg_temp.new_ticket('{"tier": "gold"}', pg_temp.qid(1), pg_temp.uid('cust_a'))$$, '23514',
  'field "seats": a value is required', 'an agent''s new ticket needs every field required for agents');
select throws_ok($$select pg_temp.new_ticket('{"seats": 2}', pg_temp.qid(1), pg_temp.uid('cust_a'))$$, '23514',
  'field "tier": a value is required', 'an agent-only required field counts too');
select lives_ok($$select pg_temp.new_ticket('{"seats": 2, "tier": "gold"}', pg_temp.qid(1), pg_temp.uid('cust_a'))$$,
  'an agent''s new ticket with the fields required for agents is accepted (fields required for customers are not required of agents)');
select lives_ok($$select pg_temp.put(1, '{"seats": 4}')$$, 'an agent sets a field required for agents on an old ticket');
select throws_ok($$select pg_temp.put(1, '{"seats": null}')$$, '23514', 'field "seats": a value is required',
  'an agent cannot clear a field required for agents');
select lives_ok($$select pg_temp.put(1, '{"plan": null}')$$, 'an agent may clear a field required for customers');
select pg_temp.act_as('service_role');
select lives_ok($$insert into public.tickets (subject, requester_id) values ('Imported', pg_temp.uid('cust_a'))$$,
  'the service role is not held to required fields (back-office imports)');
select pg_temp.act_as('postgres');
update public.ticket_fields set required_for_customers = false, required_for_agents = false;

-- ============================ required to solve ============================
update public.ticket_fields set required_to_solve = true where key = 'tier';
select pg_temp.act_as('agent_in');
select is(pg_temp.error_of($$update public.tickets set status = 'solved' where id = pg_temp.tid(1)$$),
  jsonb_build_object('code', '23514', 'message', 'field "tier": a value is required to solve the ticket',
                     'detail', '{"field": "tier", "rule": "required_to_solve"}'),
  'an agent cannot solve a ticket whose required-to-solve field (agent-only here) is empty');
select lives_ok($$update public.tickets set status = 'pending' where id = pg_temp.tid(1)$$, 'other status changes are not held');
select lives_ok($$select public.set_ticket_field(pg_temp.tid(1), 'tier', '"silver"')$$, 'the agent fills the field in');
select lives_ok($$update public.tickets set status = 'solved' where id = pg_temp.tid(1)$$, 'then solves the ticket');
select pg_temp.act_as('postgres');
update public.ticket_fields set required_to_solve = true where key = 'due';
select pg_temp.act_as('agent_in');
select lives_ok($$update public.tickets set status = 'closed' where id = pg_temp.tid(1)$$,
  'solved to closed is not "becoming solved": a field required later does not block it');
select lives_ok($$update public.tickets set status = 'open' where id = pg_temp.tid(2)$$, 'T2 reopened');
select throws_ok($$update public.tickets set status = 'closed' where id = pg_temp.tid(2)$$, '23514', null,
  'closing an open ticket is solving it: required-to-solve fields are needed');
select lives_ok($$update public.tickets set status = 'closed', metadata = metadata || '{"due": "2030-01-01", "tier": "gold"}'
                  where id = pg_temp.tid(2)$$, 'values given in the same update count');
select pg_temp.act_as('cust_a');
select lives_ok($$update public.tickets set status = 'closed' where id = pg_temp.tid(3)$$,
  'a customer closing her own ticket is not held to required-to-solve fields (she cannot fill agent-only ones)');
select pg_temp.act_as('postgres');
update public.tickets set status = 'solved' where id = pg_temp.tid(4);
select is((select status::text from public.tickets where id = pg_temp.tid(4)), 'solved', 'trusted writers are not held to it');
update public.ticket_fields set required_to_solve = false;

-- ============================ archived fields ============================
select pg_temp.act_as('agent_in');
select throws_ok($$select pg_temp.put(2, '{"legacy": "new value"}')$$, '23514', 'field "legacy": is archived and accepts no new values',
  'an archived field accepts no new value');
select lives_ok($$update public.tickets set subject = 'T2 renamed' where id = pg_temp.tid(2)$$, 'other changes of the ticket are fine');
select lives_ok($$select pg_temp.put(2, '{"legacy": "kept"}')$$, 'writing back the unchanged value is fine');
select is(pg_temp.stored(2) -> 'legacy', '"kept"'::jsonb, 'an archived field keeps its value');
select lives_ok($$select pg_temp.put(2, '{"legacy": null}')$$, 'an archived field can be cleared');
select throws_ok($$select pg_temp.new_ticket('{"legacy": "x"}', pg_temp.qid(1), pg_temp.uid('cust_a'))$$, '23514', null,
  'a new ticket cannot set an archived field');
select pg_temp.act_as('service_role');
select throws_ok($$select pg_temp.put(2, '{"legacy": "again"}')$$, '23514', null, 'nor can the service role: values are checked for every writer');
select throws_ok($$select pg_temp.put(2, '{"seats": "many"}')$$, '23514', null, 'the service role''s values are type-checked too');

-- ============================ what customers may change ============================
select pg_temp.act_as('agent_in');
select lives_ok($$select pg_temp.put(5, '{"amount": 99.9, "plan": "pro"}')$$, 'staff set a field customers cannot edit');
select pg_temp.act_as('cust_a');
select is(pg_temp.error_of($$select pg_temp.put(5, '{"amount": 1}')$$),
  jsonb_build_object('code', '42501', 'message', 'field "amount": customers cannot change this field',
                     'detail', '{"field": "amount", "rule": "not_editable"}'),
  'a customer cannot change a field that is not customer-editable (42501, HTTP 403)');
select throws_ok($$update public.tickets set metadata = '{"plan": "pro"}' where id = pg_temp.tid(5)$$, '42501',
  'field "amount": customers cannot change this field', 'nor clear it by replacing the metadata');
select throws_ok($$select pg_temp.put(5, '{"vip": false}')$$, '42501', 'field "vip": customers cannot change this field',
  'a customer cannot set an agent-only field');
select lives_ok($$select pg_temp.put(5, '{"plan": "enterprise", "browser": "firefox"}')$$,
  'a customer changes an editable field and free-form keys');
select lives_ok($$update public.tickets set metadata = '{"plan": "enterprise", "amount": 99.9}' where id = pg_temp.tid(5)$$,
  'a customer may send back an unchanged non-editable value');
select is(pg_temp.stored(5), '{"plan": "enterprise", "amount": 99.9}'::jsonb, 'the customer''s changes were stored');

-- ============================ field changes in ticket_events ============================
select pg_temp.act_as('postgres');
delete from public.ticket_events where kind = 'fields_changed' and ticket_id = pg_temp.tid(4);
select pg_temp.act_as('agent_in');
select pg_temp.put(4, '{"plan": "free", "seats": 5, "channel": "phone"}');
select pg_temp.put(4, '{"plan": "pro", "seats": 5}');
select pg_temp.put(4, '{"plan": "pro"}');
update public.tickets set metadata = metadata - 'seats' where id = pg_temp.tid(4);
select results_eq($$select pg_temp.field_events(4)$$,
  array['{"visibility": "public", "changes": {"plan": [null, "free"], "seats": [null, 5]}}'::jsonb,
        '{"visibility": "public", "changes": {"plan": ["free", "pro"]}}',
        '{"visibility": "public", "changes": {"seats": [5, null]}}'],
  'each update that changes fields records one fields_changed event {key: [old, new]}; free-form keys and unchanged values are not recorded');
select is((select actor_id from public.ticket_events where ticket_id = pg_temp.tid(4) and kind = 'fields_changed' order by id desc limit 1),
  pg_temp.uid('agent_in'), 'the event names the actor');
select is((select count(*) from public.ticket_events e join public.tickets t on t.id = e.ticket_id
            where t.subject = 'New' and t.metadata ->> 'seats' = '2' and e.kind = 'fields_changed'), 2::bigint,
  'a new ticket''s field values are recorded at creation (one public and one internal event)');

-- ============================ set_ticket_field ============================
select is(public.set_ticket_field(pg_temp.tid(4), 'seats', '7') ->> 'seats', '7', 'set_ticket_field sets a field and returns the values');
select is(public.set_ticket_field(pg_temp.tid(4), 'vip', 'true'), '{"vip": true, "plan": "pro", "seats": 7}'::jsonb,
  'set_ticket_field sets an agent-only field the same way; staff get every value back');
select is(public.set_ticket_field(pg_temp.tid(4), 'seats', 'null'), '{"vip": true, "plan": "pro"}'::jsonb, 'JSON null clears a field');
select throws_ok($$select public.set_ticket_field(pg_temp.tid(4), 'seats', '"x"')$$, '23514', 'field "seats": expected an integer, got "x"',
  'set_ticket_field applies the same rules');
select is(pg_temp.error_of($$select public.set_ticket_field(pg_temp.tid(4), 'nope', '1')$$),
  jsonb_build_object('code', '22023', 'message', 'field "nope": no such field', 'detail', '{"field": "nope", "rule": "undefined"}'),
  'set_ticket_field refuses an undefined key (HTTP 400)');
select pg_temp.act_as('agent_out');
select throws_ok($$select public.set_ticket_field(pg_temp.tid(1), 'seats', '1')$$, 'PT404', null,
  'set_ticket_field on a ticket the caller cannot see: not found (HTTP 404)');
select pg_temp.act_as('cust_b');
select throws_ok($$select public.set_ticket_field(pg_temp.tid(4), 'amount', '1')$$, '42501', null,
  'a customer''s set_ticket_field obeys the customer rules');
select is(public.set_ticket_field(pg_temp.tid(4), 'plan', '"enterprise"'), '{"plan": "enterprise"}'::jsonb,
  'a customer sets an editable field of her ticket and gets back the values she may see');

SELECT * FROM finish();
ROLLBACK;
